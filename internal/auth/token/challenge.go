package token

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidScope is returned by ParseScope and ParseScopes for a scope that
// is not "type:name:action[,action...]".
var ErrInvalidScope = errors.New("invalid scope")

// Challenge returns the value of a WWW-Authenticate header asking for a
// bearer token from realm for service:
//
//	Bearer realm="https://reg.example/service/token",service="reg.example",scope="repository:a/b:pull,push"
//
// Several scopes are joined with spaces in one scope parameter, as
// Distribution writes them (RFC 6750 section 3); with none the scope
// parameter is left out.
func Challenge(realm, service string, scopes []string) string {
	return ChallengeError(realm, service, scopes, "")
}

// ChallengeError is Challenge with an RFC 6750 error parameter:
// "invalid_token" when the presented token failed verification,
// "insufficient_scope" when it was valid but did not grant the request.
// An empty code adds nothing.
func ChallengeError(realm, service string, scopes []string, code string) string {
	var b strings.Builder
	b.WriteString("Bearer realm=")
	quote(&b, realm)
	b.WriteString(",service=")
	quote(&b, service)
	if len(scopes) > 0 {
		b.WriteString(",scope=")
		quote(&b, strings.Join(scopes, " "))
	}
	if code != "" {
		b.WriteString(",error=")
		quote(&b, code)
	}
	return b.String()
}

// quote writes s as an RFC 9110 quoted-string: '"' and '\' are escaped, and
// control characters, which could split the header, are dropped.
func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 && r != '\t', r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// String returns a in scope form, "type:name:action,action".
func (a Access) String() string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// FormatScope returns the granted access as one space-separated scope
// string, the scope field of an OAuth2 token response. Entries without
// actions are left out.
func FormatScope(access []Access) string {
	parts := make([]string, 0, len(access))
	for _, a := range access {
		if len(a.Actions) > 0 {
			parts = append(parts, a.String())
		}
	}
	return strings.Join(parts, " ")
}

// ParseScope parses one resource scope, "type:name:action[,action...]".
// The name may itself contain a colon (a registry host with a port), so the
// type ends at the first colon and the actions start after the last. A
// resource class, "repository(plugin)", is deprecated and dropped. The
// grammar is checked only loosely; internal/access validates names.
func ParseScope(s string) (Access, error) {
	typ, rest, ok1 := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok1 || i < 0 {
		return Access{}, fmt.Errorf("%w %q: want type:name:actions", ErrInvalidScope, s)
	}
	name, actions := rest[:i], rest[i+1:]
	if base, class, ok := strings.Cut(typ, "("); ok {
		if !strings.HasSuffix(class, ")") || !isLowerAlnum(strings.TrimSuffix(class, ")")) {
			return Access{}, fmt.Errorf("%w %q: bad resource class", ErrInvalidScope, s)
		}
		typ = base
	}
	if !isLowerAlnum(typ) {
		return Access{}, fmt.Errorf("%w %q: bad resource type", ErrInvalidScope, s)
	}
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Access{}, fmt.Errorf("%w %q: bad resource name", ErrInvalidScope, s)
	}
	a := Access{Type: typ, Name: name}
	for act := range strings.SplitSeq(actions, ",") {
		if act == "" || strings.Trim(act, "abcdefghijklmnopqrstuvwxyz*") != "" {
			return Access{}, fmt.Errorf("%w %q: bad action %q", ErrInvalidScope, s, act)
		}
		if !slices.Contains(a.Actions, act) {
			a.Actions = append(a.Actions, act)
		}
	}
	return a, nil
}

// ParseScopes parses the scope parameters of a token request: GET sends one
// scope per parameter, repeated; the OAuth2 POST sends one parameter with
// space-separated scopes; both forms may mix. Entries for the same type and
// name are merged, keeping the first-seen order of resources and actions.
// Empty values are ignored, so no scope at all yields an empty result.
func ParseScopes(values []string) ([]Access, error) {
	var out []Access
	for _, v := range values {
		for s := range strings.FieldsSeq(v) {
			a, err := ParseScope(s)
			if err != nil {
				return nil, err
			}
			j := slices.IndexFunc(out, func(o Access) bool { return o.Type == a.Type && o.Name == a.Name })
			if j < 0 {
				out = append(out, a)
				continue
			}
			for _, act := range a.Actions {
				if !slices.Contains(out[j].Actions, act) {
					out[j].Actions = append(out[j].Actions, act)
				}
			}
		}
	}
	return out, nil
}

func isLowerAlnum(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}
