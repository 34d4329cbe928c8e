package distribution

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// specContentRange is the distribution-spec's Content-Range grammar for chunks.
var specContentRange = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

func FuzzParseContentRange(f *testing.F) {
	for _, tc := range contentRangeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseContentRange(s)
		if err != nil {
			if !errors.Is(err, errBadRange) || r != (byteRange{}) {
				t.Fatalf("parseContentRange(%q) = %+v, %v", s, r, err)
			}
		} else if r.Start < 0 || r.End < r.Start {
			t.Fatalf("parseContentRange(%q) = %+v", s, r)
		}
		// Every in-range value of the spec's own form is accepted as written.
		if specContentRange.MatchString(s) {
			a, b, _ := strings.Cut(s, "-")
			start, err1 := strconv.ParseInt(a, 10, 64)
			end, err2 := strconv.ParseInt(b, 10, 64)
			if err1 == nil && err2 == nil && start <= end && (err != nil || r != byteRange{start, end}) {
				t.Fatalf("parseContentRange(%q) = %+v, %v; want {%d %d}", s, r, err, start, end)
			}
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, tc := range rangeCases {
		f.Add(tc.h, tc.size)
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			// Blob sizes are never negative; see the report on ranges.go for
			// hardening parseRange against it anyway.
			t.Skip()
		}
		r, ok, err := parseRange(h, size)
		if err != nil && (ok || !errors.Is(err, errBadRange)) {
			t.Fatalf("parseRange(%q, %d) = %+v, %v, %v", h, size, r, ok, err)
		}
		if !ok {
			if r != (byteRange{}) {
				t.Fatalf("parseRange(%q, %d) = %+v without ok", h, size, r)
			}
			return
		}
		if !(0 <= r.Start && r.Start <= r.End && r.End < size) {
			t.Fatalf("parseRange(%q, %d) = %+v: want 0 <= Start <= End < size", h, size, r)
		}
	})
}
