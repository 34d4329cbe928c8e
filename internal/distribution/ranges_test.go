package distribution

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

// contentRangeCases is shared with FuzzParseContentRange as its seed corpus.
var contentRangeCases = []struct {
	in   string
	want byteRange
	ok   bool
}{
	// The spec's form, ^[0-9]+-[0-9]+$, inclusive at both ends.
	{"0-99", byteRange{0, 99}, true},
	{"0-0", byteRange{0, 0}, true},
	{"100-199", byteRange{100, 199}, true},
	{"007-010", byteRange{7, 10}, true},
	{"9223372036854775807-9223372036854775807", byteRange{math.MaxInt64, math.MaxInt64}, true},
	// Forms clients send.
	{"bytes 0-99", byteRange{0, 99}, true},
	{"bytes=0-99", byteRange{0, 99}, true},
	{"bytes 0-99/100", byteRange{0, 99}, true},
	{"bytes 0-99/*", byteRange{0, 99}, true},
	{"bytes=0-99/200", byteRange{0, 99}, true},
	{"0-99/100", byteRange{0, 99}, true},
	{"  0-99  ", byteRange{0, 99}, true},
	{"bytes  100-199", byteRange{100, 199}, true},

	{"", byteRange{}, false},
	{"bytes", byteRange{}, false},
	{"bytes ", byteRange{}, false},
	{"-", byteRange{}, false},
	{"0", byteRange{}, false},
	{"0-", byteRange{}, false},
	{"-99", byteRange{}, false},
	{"99-0", byteRange{}, false},
	{"100-99", byteRange{}, false},
	{"a-b", byteRange{}, false},
	{"0-b", byteRange{}, false},
	{"+1-2", byteRange{}, false},
	{"1-+2", byteRange{}, false},
	{"-1-2", byteRange{}, false},
	{"1--2", byteRange{}, false},
	{"0-99-100", byteRange{}, false},
	{"1 2-3", byteRange{}, false},
	{"0x1-0x2", byteRange{}, false},
	{"1_0-2_0", byteRange{}, false},
	{"1.5-2", byteRange{}, false},
	{"9223372036854775808-9223372036854775809", byteRange{}, false},
	{"0-9223372036854775808", byteRange{}, false},
	{"0-99999999999999999999", byteRange{}, false},
	{"bytes */100", byteRange{}, false},
	{"/100", byteRange{}, false},
	{"\u00bd-1", byteRange{}, false},
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	for _, tc := range contentRangeCases {
		got, err := parseContentRange(tc.in)
		if !tc.ok {
			if !errors.Is(err, errBadRange) || got != (byteRange{}) {
				t.Errorf("parseContentRange(%q) = %+v, %v; want errBadRange", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseContentRange(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

type rangeResult int

const (
	whole rangeResult = iota // ok == false, err == nil: serve the whole blob
	part                     // ok, with want
	bad                      // errBadRange: 416
)

// rangeCases is shared with FuzzParseRange as its seed corpus.
var rangeCases = []struct {
	h    string
	size int64
	res  rangeResult
	want byteRange
}{
	{"", 100, whole, byteRange{}},
	{"   ", 100, whole, byteRange{}},
	{"", 0, whole, byteRange{}},
	// bytes=a-b
	{"bytes=0-99", 100, part, byteRange{0, 99}},
	{"bytes=0-0", 100, part, byteRange{0, 0}},
	{"bytes=10-20", 100, part, byteRange{10, 20}},
	{"bytes=99-99", 100, part, byteRange{99, 99}},
	{"bytes=0-100", 100, part, byteRange{0, 99}},    // end one past: clamped
	{"bytes=50-1000", 100, part, byteRange{50, 99}}, // end far beyond: clamped
	{"bytes=0-9223372036854775807", 100, part, byteRange{0, 99}},
	{"bytes=0-5", 3, part, byteRange{0, 2}},
	{" bytes=0-5 ", 100, part, byteRange{0, 5}},
	{"bytes= 0 - 5 ", 100, part, byteRange{0, 5}},
	{"bytes=100-100", 100, bad, byteRange{}}, // start == size
	{"bytes=100-200", 100, bad, byteRange{}},
	{"bytes=5-3", 100, bad, byteRange{}},
	{"bytes=0-0", 0, bad, byteRange{}},
	{"bytes=0-0", 1, part, byteRange{0, 0}},
	// bytes=a-
	{"bytes=0-", 100, part, byteRange{0, 99}},
	{"bytes=50-", 100, part, byteRange{50, 99}},
	{"bytes=99-", 100, part, byteRange{99, 99}},
	{"bytes=100-", 100, bad, byteRange{}}, // start == size
	{"bytes=101-", 100, bad, byteRange{}},
	{"bytes=0-", 0, bad, byteRange{}}, // nothing to serve from an empty blob
	{"bytes=0-", math.MaxInt64, part, byteRange{0, math.MaxInt64 - 1}},
	{"bytes=9223372036854775806-", math.MaxInt64, part, byteRange{math.MaxInt64 - 1, math.MaxInt64 - 1}},
	// bytes=-n
	{"bytes=-10", 100, part, byteRange{90, 99}},
	{"bytes=-1", 100, part, byteRange{99, 99}},
	{"bytes=-1", 1, part, byteRange{0, 0}},
	{"bytes=-100", 100, part, byteRange{0, 99}},
	{"bytes=-101", 100, part, byteRange{0, 99}}, // suffix larger than size
	{"bytes=-1000", 100, part, byteRange{0, 99}},
	{"bytes=-9223372036854775807", 100, part, byteRange{0, 99}},
	{"bytes=-0", 100, bad, byteRange{}},
	{"bytes=-5", 0, bad, byteRange{}},
	{"bytes=-", 100, bad, byteRange{}},
	// Malformed single ranges.
	{"bytes=", 100, bad, byteRange{}},
	{"bytes=abc", 100, bad, byteRange{}},
	{"bytes=a-b", 100, bad, byteRange{}},
	{"bytes=1-b", 100, bad, byteRange{}},
	{"bytes=--5", 100, bad, byteRange{}},
	{"bytes=-+5", 100, bad, byteRange{}},
	{"bytes=+1-5", 100, bad, byteRange{}},
	{"bytes=1-+5", 100, bad, byteRange{}},
	{"bytes=1-2-3", 100, bad, byteRange{}},
	{"bytes=0x10-", 100, bad, byteRange{}},
	{"bytes=9223372036854775808-", 100, bad, byteRange{}},
	{"bytes=0-9223372036854775808", 100, bad, byteRange{}},
	{"bytes=-9223372036854775808", 100, bad, byteRange{}},
	{"bytes=99999999999999999999999-", 100, bad, byteRange{}},
	// Ignored: other units, several ranges, no "bytes=".
	{"bytes=0-1,5-6", 100, whole, byteRange{}},
	{"bytes=0-1, 200-300", 100, whole, byteRange{}},
	{"items=0-5", 100, whole, byteRange{}},
	{"bytes 0-5", 100, whole, byteRange{}},
	{"0-5", 100, whole, byteRange{}},
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	for _, tc := range rangeCases {
		name := strconv.Quote(tc.h) + "/" + strconv.FormatInt(tc.size, 10)
		got, ok, err := parseRange(tc.h, tc.size)
		switch tc.res {
		case whole:
			if ok || err != nil || got != (byteRange{}) {
				t.Errorf("%s: got %+v, %v, %v; want whole blob", name, got, ok, err)
			}
		case bad:
			if ok || !errors.Is(err, errBadRange) {
				t.Errorf("%s: got %+v, %v, %v; want errBadRange", name, got, ok, err)
			}
		case part:
			if !ok || err != nil || got != tc.want {
				t.Errorf("%s: got %+v, %v, %v; want %+v", name, got, ok, err, tc.want)
			}
		}
	}
}
