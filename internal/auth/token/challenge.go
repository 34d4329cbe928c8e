package token

import (
	"strings"
)

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
