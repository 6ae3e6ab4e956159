package result

import "fmt"

// FormatMS writes a duration given in milliseconds for people: 0.42ms, 12ms, 1.53s, 2m05s.
func FormatMS(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	case ms < 60000:
		return fmt.Sprintf("%.2fs", ms/1000)
	default:
		s := int(ms / 1000)
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
}
