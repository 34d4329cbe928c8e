package selector

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"**", "app", true},
		{"**", "team/app/api", true},
		{"*", "app", true},
		{"*", "team/app", false},
		{"team/*", "team/app", true},
		{"team/*", "team/app/api", false},
		{"team/**", "team/app/api", true},
		{"**/api", "team/app/api", true},
		{"v*", "v1.2.3", true},
		{"v*", "latest", false},
		{"{v1,v2}.*", "v2.0", true},
		{"{v1,v2}.*", "v3.0", false},
		{"release-{prod,stage}", "release-prod", true},
		{"release-{prod,stage}", "release-dev", false},
		{"v?.0", "v1.0", true},
		{"v?.0", "v10.0", false},
		{"[0-9]*", "1.0", true},
		{"[0-9]*", "latest", false},
		{"[!0-9]*", "latest", true},
		{"latest", "latest", true},
		{"latest", "latest2", false},
		{`v\*`, "v*", true},
		{`v\*`, "v1", false},
	}
	for _, c := range cases {
		for _, dec := range []struct {
			repo, tag string
			neg       bool
		}{{RepoMatches, Matches, false}, {RepoExcludes, Excludes, true}} {
			want := c.want != dec.neg
			if got := (Selector{KindDoublestar, dec.tag, c.pattern}).Match(c.name); got != want {
				t.Errorf("%s %q on %q = %v, want %v", dec.tag, c.pattern, c.name, got, want)
			}
			if got := (Selector{KindDoublestar, dec.repo, c.pattern}).Match(c.name); got != want {
				t.Errorf("%s %q on %q = %v, want %v", dec.repo, c.pattern, c.name, got, want)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	long := make([]byte, MaxPattern+1)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name string
		s    Selector
		repo bool
		ok   bool
	}{
		{"repo ok", Selector{KindDoublestar, RepoMatches, "**"}, true, true},
		{"repo excludes ok", Selector{KindDoublestar, RepoExcludes, "team/*"}, true, true},
		{"tag ok", Selector{KindDoublestar, Matches, "v*"}, false, true},
		{"tag excludes ok", Selector{KindDoublestar, Excludes, "{a,b}"}, false, true},
		{"tag decoration on repo", Selector{KindDoublestar, Matches, "**"}, true, false},
		{"repo decoration on tag", Selector{KindDoublestar, RepoMatches, "**"}, false, false},
		{"regexp kind", Selector{"regexp", Matches, ".*"}, false, false},
		{"empty pattern", Selector{KindDoublestar, Matches, ""}, false, false},
		{"unclosed brace", Selector{KindDoublestar, Matches, "{a,b"}, false, false},
		{"unclosed class", Selector{KindDoublestar, Matches, "[a-"}, false, false},
		{"trailing escape", Selector{KindDoublestar, Matches, `v\`}, false, false},
		{"too long", Selector{KindDoublestar, Matches, string(long)}, false, false},
		{"nested braces ok", Selector{KindDoublestar, Matches, "{a,{b,c}}-{x,y}"}, false, true},
		{"too many alternatives", Selector{KindDoublestar, Matches, strings.Repeat("{a,b}", 9)}, false, false},
	}
	for _, c := range cases {
		err := c.s.Validate(c.repo)
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate = %v, want ok %v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v does not wrap ErrInvalid", c.name, err)
		}
		if c.s.Kind == KindDoublestar && ValidatePattern(c.s.Pattern) == nil {
			continue
		}
		if c.s.Match("anything") || (Selector{c.s.Kind, Excludes, c.s.Pattern}).Match("anything") {
			t.Errorf("%s: an invalid selector matched", c.name)
		}
	}
}

// FuzzMatch checks that matching never panics, that excludes is the
// negation of matches for valid patterns, that invalid patterns select
// nothing, and that a quoted name matches exactly itself.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"**", "team/app"}, {"{v1,v2}.*", "v1.0"}, {"[!0-9]*", "latest"}, {`v\*`, "v*"},
		{"{a,{b,c}}", "c"}, {"[", "["}, {"**/", "a/"}, {"*{", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		m := Selector{KindDoublestar, Matches, pattern}
		x := Selector{KindDoublestar, Excludes, pattern}
		gotM, gotX := m.Match(name), x.Match(name)
		if ValidatePattern(pattern) != nil {
			if gotM || gotX {
				t.Fatalf("invalid pattern %q selected %q", pattern, name)
			}
		} else if gotM == gotX {
			t.Fatalf("pattern %q on %q: matches = excludes = %v", pattern, name, gotM)
		}
		if !utf8.ValidString(name) || len(Quote(name)) > MaxPattern || name == "" {
			return
		}
		q := Selector{KindDoublestar, Matches, Quote(name)}
		if err := q.Validate(false); err != nil {
			t.Fatalf("Quote(%q) = %q is invalid: %v", name, Quote(name), err)
		}
		if !q.Match(name) {
			t.Fatalf("Quote(%q) = %q does not match itself", name, Quote(name))
		}
		if name != pattern && q.Match(pattern) {
			t.Fatalf("Quote(%q) = %q matches %q too", name, Quote(name), pattern)
		}
	})
}
