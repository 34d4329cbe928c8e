package cli

import (
	"fmt"
	"strconv"
	"time"
)

// when formats a time for a table: local time to the second, "-" if zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// unixWhen formats Unix seconds; zero or negative means never.
func unixWhen(sec int64) string {
	if sec <= 0 {
		return "never"
	}
	return when(time.Unix(sec, 0))
}

// size formats a byte count with binary units ("1.5 MiB").
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// yesNo formats a flag for a table.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// shortDigest abbreviates a digest to its algorithm and 12 hex digits.
func shortDigest(d string) string {
	for i := 0; i < len(d); i++ {
		if d[i] == ':' && len(d) > i+13 {
			return d[:i+13]
		}
	}
	return d
}

// expiry formats an expiry time for a table: "never" if zero.
func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return when(t)
}
