//go:build !linux

package loadgen

import "time"

// preciseSleep falls back to time.Sleep where nanosleep is not at hand.
func preciseSleep(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}
