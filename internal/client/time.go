package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// TimeFormat is how Time is written to JSON: Harbor's API format, UTC to
// the millisecond.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// timeLayouts are the formats Time reads, tried in order: RFC 3339 with or
// without fractional seconds (Harbor's TimeFormat among them), and the
// same without a zone, which means UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// Time is a point in time in an API response that may be null, empty or
// absent (the zero Time) and is written as null when zero.
type Time struct {
	time.Time
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time %s: want a string", b)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("time %q: want RFC 3339", s)
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(TimeFormat))
}
