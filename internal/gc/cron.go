package gc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Spec is a parsed schedule: a cron expression (5 fields, or 6 with
// seconds first as Harbor writes them; *, lists, ranges and steps; the
// seconds field is accepted but runs happen at minute precision), "@hourly",
// "@daily", "@weekly", or "@every DURATION" (counted from the last run).
type Spec struct {
	every  time.Duration
	fields [5]uint64 // minute, hour, day of month, month, day of week: bit sets
	domAll bool
	dowAll bool
}

// ParseSpec parses a schedule expression.
func ParseSpec(expr string) (Spec, error) {
	expr = strings.TrimSpace(expr)
	switch expr {
	case "@hourly":
		expr = "0 * * * *"
	case "@daily", "@midnight":
		expr = "0 0 * * *"
	case "@weekly":
		expr = "0 0 * * 0"
	}
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Minute {
			return Spec{}, fmt.Errorf("gc: schedule %q: want @every with at least 1m", expr)
		}
		return Spec{every: d}, nil
	}
	f := strings.Fields(expr)
	if len(f) == 6 {
		if _, err := parseField(f[0], 0, 59); err != nil {
			return Spec{}, fmt.Errorf("gc: schedule %q: seconds: %w", expr, err)
		}
		f = f[1:]
	}
	if len(f) != 5 {
		return Spec{}, fmt.Errorf("gc: schedule %q: want 5 or 6 cron fields", expr)
	}
	var s Spec
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	for i, field := range f {
		bits, err := parseField(field, bounds[i][0], bounds[i][1])
		if err != nil {
			return Spec{}, fmt.Errorf("gc: schedule %q: field %d: %w", expr, i+1, err)
		}
		s.fields[i] = bits
	}
	if s.fields[4]&(1<<7) != 0 { // 7 is Sunday too
		s.fields[4] |= 1
	}
	s.domAll, s.dowAll = f[2] == "*" || f[2] == "?", f[4] == "*" || f[4] == "?"
	return s, nil
}

func parseField(f string, lo, hi int) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(f, ",") {
		step := 1
		if r, s, ok := strings.Cut(part, "/"); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("bad step %q", part)
			}
			part, step = r, n
		}
		a, b := lo, hi
		switch {
		case part == "*" || part == "?":
		case strings.Contains(part, "-"):
			x, y, _ := strings.Cut(part, "-")
			var err1, err2 error
			a, err1 = strconv.Atoi(x)
			b, err2 = strconv.Atoi(y)
			if err1 != nil || err2 != nil {
				return 0, fmt.Errorf("bad range %q", part)
			}
		default:
			n, err := strconv.Atoi(part)
			if err != nil {
				return 0, fmt.Errorf("bad value %q", part)
			}
			a, b = n, n
			if step > 1 {
				b = hi
			}
		}
		if a < lo || b > hi || a > b {
			return 0, fmt.Errorf("%q out of range %d-%d", part, lo, hi)
		}
		for v := a; v <= b; v += step {
			bits |= 1 << v
		}
	}
	return bits, nil
}

// Next returns the first time after last (the previous run, or when the
// schedule started) at which a run is due.
func (s Spec) Next(last time.Time) time.Time {
	if s.every > 0 {
		return last.Add(s.every)
	}
	t := last.Truncate(time.Minute).Add(time.Minute)
	for range 366 * 24 * 60 {
		if s.match(t) {
			return t
		}
		t = t.Add(time.Minute)
	}
	return time.Time{} // never (e.g. 31 February)
}

func (s Spec) match(t time.Time) bool {
	has := func(i, v int) bool { return s.fields[i]&(1<<v) != 0 }
	if !has(0, t.Minute()) || !has(1, t.Hour()) || !has(3, int(t.Month())) {
		return false
	}
	dom, dow := has(2, t.Day()), has(4, int(t.Weekday()))
	switch {
	case s.domAll && s.dowAll:
		return true
	case s.domAll:
		return dow
	case s.dowAll:
		return dom
	}
	return dom || dow // cron's rule when both are restricted
}
