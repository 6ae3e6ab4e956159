package loadgen

import (
	"syscall"
	"time"
)

// preciseSleep sleeps d (at most timerSlack) with nanosleep, which blocks
// this goroutine's thread for d with microsecond precision, unlike the Go
// timer's millisecond granularity under epoll.
func preciseSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
