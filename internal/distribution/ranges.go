package distribution

import (
	"errors"
	"strconv"
	"strings"
)

var errBadRange = errors.New("invalid range")

// byteRange is an inclusive byte range [Start, End].
type byteRange struct {
	Start, End int64
}

// parseContentRange parses the Content-Range of an upload chunk. The spec's
// form is "<start>-<end>"; clients also send "bytes <start>-<end>" and
// "bytes=<start>-<end>", optionally followed by "/<total>" or "/*".
func parseContentRange(s string) (byteRange, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "bytes"); ok {
		s = strings.TrimLeft(rest, " =")
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return byteRange{}, errBadRange
	}
	start, err1 := parseOffset(a)
	end, err2 := parseOffset(b)
	if err1 != nil || err2 != nil || end < start {
		return byteRange{}, errBadRange
	}
	return byteRange{Start: start, End: end}, nil
}

// parseRange parses a request Range header for a blob of the given size
// ("bytes=a-b", "bytes=a-", "bytes=-n"). Only a single range is supported.
// It returns ok == false when there is no usable Range (serve the whole
// blob) and errBadRange when the range cannot be satisfied.
func parseRange(h string, size int64) (r byteRange, ok bool, err error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return byteRange{}, false, nil
	}
	if len(h) < 6 || !strings.EqualFold(h[:6], "bytes=") {
		return byteRange{}, false, nil // unknown units: ignore the header, as RFC 9110 allows
	}
	spec := h[6:]
	if strings.Contains(spec, ",") {
		// Multiple ranges: serve the whole blob, as RFC 9110 allows.
		return byteRange{}, false, nil
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false, errBadRange
	}
	switch {
	case a == "": // suffix: last n bytes
		n, err := parseOffset(b)
		if err != nil {
			return byteRange{}, false, errBadRange
		}
		if n == 0 || size <= 0 {
			return byteRange{}, false, errBadRange
		}
		if n > size {
			n = size
		}
		return byteRange{Start: size - n, End: size - 1}, true, nil
	default:
		start, err := parseOffset(a)
		if err != nil {
			return byteRange{}, false, errBadRange
		}
		end := size - 1
		if b != "" {
			if end, err = parseOffset(b); err != nil || end < start {
				return byteRange{}, false, errBadRange
			}
			if end > size-1 {
				end = size - 1
			}
		}
		if start >= size {
			return byteRange{}, false, errBadRange
		}
		return byteRange{Start: start, End: end}, true, nil
	}
}

func parseOffset(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, errBadRange
	}
	return strconv.ParseInt(s, 10, 64)
}
