package api

import (
	"net/http"
	"net/url"
	"strings"
)

// Match says how a q term compares.
type Match int

// The kinds of q term, as Harbor's query syntax writes them.
const (
	MatchExact Match = iota // k=v
	MatchFuzzy              // k=~v
	MatchRange              // k=[min~max] (either side may be empty)
	MatchAnyOf              // k={v1 v2} (or) and k=(v1 v2) (and; treated as or for scalars)
)

// Term is one key of a q parameter.
type Term struct {
	Match  Match
	Value  string   // MatchExact, MatchFuzzy
	Min    string   // MatchRange
	Max    string   // MatchRange
	Values []string // MatchAnyOf
}

// Query is a parsed q parameter: key -> term.
type Query map[string]Term

// parseQuery parses Harbor's q parameter: comma-separated key=value terms
// where a value is v (exact), ~v (fuzzy), [min~max] (range), {a b} or
// (a b) (list). Values are URL-unescaped once more, as Harbor's clients
// encode them. An unknown key is a 400 unless it is in allowed.
func parseQuery(r *http.Request, allowed ...string) (Query, error) {
	raw := r.URL.Query().Get("q")
	out := Query{}
	if strings.TrimSpace(raw) == "" {
		return out, nil
	}
	for _, part := range splitTerms(raw) {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, badRequest("invalid q term %q: want key=value", part)
		}
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			return nil, badRequest("q key %q is not supported here (supported: %s)", k, strings.Join(allowed, ", "))
		}
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		var t Term
		switch {
		case strings.HasPrefix(v, "~"):
			t = Term{Match: MatchFuzzy, Value: v[1:]}
		case strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]"):
			lo, hi, ok := strings.Cut(v[1:len(v)-1], "~")
			if !ok {
				return nil, badRequest("invalid range %q in q: want [min~max]", v)
			}
			t = Term{Match: MatchRange, Min: strings.TrimSpace(lo), Max: strings.TrimSpace(hi)}
		case len(v) >= 2 && (v[0] == '{' && v[len(v)-1] == '}' || v[0] == '(' && v[len(v)-1] == ')'):
			t = Term{Match: MatchAnyOf, Values: strings.Fields(v[1 : len(v)-1])}
		default:
			t = Term{Match: MatchExact, Value: v}
		}
		out[k] = t
	}
	return out, nil
}

// splitTerms splits q at commas that are not inside [], {} or ().
func splitTerms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth = max(depth-1, 0)
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
