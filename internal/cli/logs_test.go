package cli

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("test", 3600)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, loc)
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "24h", want: now.Add(-24 * time.Hour)},
		{in: "1h30m", want: now.Add(-90 * time.Minute)},
		{in: "7d", want: time.Date(2026, 3, 3, 12, 0, 0, 0, loc)},
		{in: "0d", want: now},
		{in: " 2h ", want: now.Add(-2 * time.Hour)},
		{in: "2026-03-01T08:00:00Z", want: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)},
		{in: "2026-03-01T08:00:00.250+02:00", want: time.Date(2026, 3, 1, 6, 0, 0, 250e6, time.UTC)},
		{in: "2026-03-01 08:00:00", want: time.Date(2026, 3, 1, 8, 0, 0, 0, loc)}, // local
		{in: "2026-03-01T08:00:00", want: time.Date(2026, 3, 1, 8, 0, 0, 0, loc)},
		{in: "2026-03-01", want: time.Date(2026, 3, 1, 0, 0, 0, 0, loc)},
		{in: "-1h", bad: true},
		{in: "-1d", bad: true},
		{in: "1.5d", bad: true},
		{in: "d", bad: true},
		{in: "yesterday", bad: true},
		{in: "2026-13-01", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseSince(tt.in, now)
			if (err != nil) != tt.bad {
				t.Fatalf("parseSince(%q): err = %v, want error %v", tt.in, err, tt.bad)
			}
			if !tt.bad && !got.Equal(tt.want) {
				t.Errorf("parseSince(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
