// Package selector matches repository and tag names against the
// doublestar patterns of Harbor's rule selectors (tag immutability and
// retention): "**" matches any run of characters, '/' included; "*" any run
// without '/'; "?" one character other than '/'; "[a-z]" and "[!a-z]" a
// class; "{a,b}" either alternative; "\" escapes the next character.
// Matching is github.com/bmatcuk/doublestar/v4, the library Harbor uses, so
// a pattern means in Berth what it means in Harbor.
package selector

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// KindDoublestar is the only selector kind: a doublestar pattern.
const KindDoublestar = "doublestar"

// Decorations say whether a selector keeps the names its pattern matches or
// those it does not. Repository selectors use the repo* forms, tag selectors
// the others, as Harbor does.
const (
	RepoMatches  = "repoMatches"
	RepoExcludes = "repoExcludes"
	Matches      = "matches"
	Excludes     = "excludes"
)

// MaxPattern bounds the length of a pattern.
const MaxPattern = 256

// ErrInvalid is wrapped by the errors of Validate.
var ErrInvalid = errors.New("selector: invalid")

// Selector is one repository or tag selector.
type Selector struct {
	Kind       string // KindDoublestar
	Decoration string // RepoMatches, RepoExcludes, Matches or Excludes
	Pattern    string
}

// Validate checks s as a repository selector (repository true: decoration
// repoMatches or repoExcludes) or a tag selector (matches or excludes).
func (s Selector) Validate(repository bool) error {
	if s.Kind != KindDoublestar {
		return fmt.Errorf("%w: kind %q (want %q)", ErrInvalid, s.Kind, KindDoublestar)
	}
	switch {
	case repository && s.Decoration != RepoMatches && s.Decoration != RepoExcludes:
		return fmt.Errorf("%w: repository decoration %q (want %s or %s)", ErrInvalid, s.Decoration, RepoMatches, RepoExcludes)
	case !repository && s.Decoration != Matches && s.Decoration != Excludes:
		return fmt.Errorf("%w: tag decoration %q (want %s or %s)", ErrInvalid, s.Decoration, Matches, Excludes)
	}
	return ValidatePattern(s.Pattern)
}

// ValidatePattern reports whether p is a usable pattern: not empty, at most
// MaxPattern bytes, and well formed (balanced brackets and braces, no
// trailing escape).
func ValidatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty pattern", ErrInvalid)
	}
	if len(p) > MaxPattern {
		return fmt.Errorf("%w: pattern longer than %d bytes", ErrInvalid, MaxPattern)
	}
	if !doublestar.ValidatePattern(p) {
		return fmt.Errorf("%w: malformed pattern %q", ErrInvalid, p)
	}
	if alternatives(p) > MaxAlternatives {
		return fmt.Errorf("%w: pattern %q has more than %d {a,b} combinations", ErrInvalid, p, MaxAlternatives)
	}
	return nil
}

// MaxAlternatives bounds the combinations of a pattern's {a,b} groups:
// matching tries them in turn, so their product is what a match may cost.
const MaxAlternatives = 256

// alternatives returns an upper bound on the combinations of p's brace
// groups: the product, over every group, of its number of alternatives.
func alternatives(p string) int {
	total := 1
	var open []int // alternatives counted so far in each open group
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			open = append(open, 1)
		case ',':
			if len(open) > 0 {
				open[len(open)-1]++
			}
		case '}':
			if len(open) > 0 {
				total *= open[len(open)-1]
				open = open[:len(open)-1]
				if total > MaxAlternatives {
					return total
				}
			}
		}
	}
	return total
}

// Match reports whether s selects name: its pattern matches name and the
// decoration is a "matches" one, or it does not and the decoration is an
// "excludes" one. An invalid selector selects nothing.
func (s Selector) Match(name string) bool {
	if s.Kind != KindDoublestar || ValidatePattern(s.Pattern) != nil {
		return false
	}
	m := match(s.Pattern, name)
	switch s.Decoration {
	case RepoMatches, Matches:
		return m
	case RepoExcludes, Excludes:
		return !m
	}
	return false
}

// match reports whether valid pattern p matches name.
func match(p, name string) bool {
	ok, err := doublestar.Match(p, name)
	return err == nil && ok
}

// Quote returns a pattern that matches exactly s.
func Quote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
