package gc

import (
	"testing"
	"time"
)

func TestSpecNext(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC) // a Wednesday
	for _, c := range []struct {
		expr string
		want time.Time
	}{
		{"0 0 * * * *", time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)},   // Harbor's Hourly
		{"0 0 0 * * *", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)},    // Daily
		{"0 0 0 * * 0", time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)},    // Weekly: Sunday
		{"*/15 * * * *", time.Date(2026, 12, 2, 15, 15, 0, 0, time.UTC)}, // 5 fields
		{"30 2 1,15 * *", time.Date(2026, 12, 15, 2, 30, 0, 0, time.UTC)},
		{"0 9-17 * * 1-5", time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)},
		{"@daily", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)},
		{"@every 12h", base.Add(12 * time.Hour)},
		{"0 0 30 2 *", time.Time{}}, // never
	} {
		s, err := ParseSpec(c.expr)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", c.expr, err)
			continue
		}
		if got := s.Next(base); !got.Equal(c.want) {
			t.Errorf("Next(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
	for _, bad := range []string{"", "* * *", "61 * * * *", "a * * * *", "@every 10s", "*/0 * * * *", "5-1 * * * *"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
}
