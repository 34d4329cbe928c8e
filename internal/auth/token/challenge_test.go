package token_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/auth/token"
)

func TestChallenge(t *testing.T) {
	t.Parallel()
	const realm = "https://reg.example/service/token"
	tests := []struct {
		name           string
		realm, service string
		scopes         []string
		code           string
		want           string
	}{
		{
			name: "no scope", realm: realm, service: "reg.example",
			want: `Bearer realm="https://reg.example/service/token",service="reg.example"`,
		},
		{
			name: "one scope", realm: realm, service: "reg.example", scopes: []string{"repository:a/b:pull,push"},
			want: `Bearer realm="https://reg.example/service/token",service="reg.example",scope="repository:a/b:pull,push"`,
		},
		{
			name: "several scopes", realm: realm, service: "reg.example",
			scopes: []string{"repository:a/b:pull", "repository:c/d:pull"},
			want:   `Bearer realm="https://reg.example/service/token",service="reg.example",scope="repository:a/b:pull repository:c/d:pull"`,
		},
		{
			name: "invalid_token", realm: realm, service: "reg.example", code: "invalid_token",
			want: `Bearer realm="https://reg.example/service/token",service="reg.example",error="invalid_token"`,
		},
		{
			name: "insufficient_scope", realm: realm, service: "reg.example", scopes: []string{"repository:a/b:push"},
			code: "insufficient_scope",
			want: `Bearer realm="https://reg.example/service/token",service="reg.example",scope="repository:a/b:push",error="insufficient_scope"`,
		},
		{
			name: "quotes and backslashes escaped", realm: `https://x/"a"\b`, service: `s"\`,
			want: `Bearer realm="https://x/\"a\"\\b",service="s\"\\"`,
		},
		{
			name: "header splitting dropped", realm: "https://x/\r\nSet-Cookie: a=b", service: "s\x00v\x1f\x7f",
			scopes: []string{"repository:a/b:pull\r\nX: y"},
			want:   `Bearer realm="https://x/Set-Cookie: a=b",service="sv",scope="repository:a/b:pullX: y"`,
		},
		{
			name: "tab and unicode kept", realm: "r\té", service: "ß",
			want: "Bearer realm=\"r\té\",service=\"ß\"",
		},
		{
			name: "empty values", want: `Bearer realm="",service=""`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := token.ChallengeError(tt.realm, tt.service, tt.scopes, tt.code)
			if got != tt.want {
				t.Errorf("ChallengeError =\n%s\nwant\n%s", got, tt.want)
			}
			if tt.code == "" {
				if c := token.Challenge(tt.realm, tt.service, tt.scopes); c != got {
					t.Errorf("Challenge = %s, want %s", c, got)
				}
			}
			if strings.ContainsAny(got, "\r\n\x00") {
				t.Errorf("control character in %q", got)
			}
			// net/http accepts the value as a header.
			h := http.Header{}
			h.Set("WWW-Authenticate", got)
			if h.Get("WWW-Authenticate") != got {
				t.Errorf("header round trip changed %q", got)
			}
		})
	}
}

func TestFormatScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		access []token.Access
		want   string
	}{
		{"nil", nil, ""},
		{"one", []token.Access{{Type: "repository", Name: "a/b", Actions: []string{"pull"}}}, "repository:a/b:pull"},
		{"empty actions dropped", []token.Access{
			{Type: "repository", Name: "a/b", Actions: []string{}},
			{Type: "repository", Name: "c/d", Actions: []string{"pull", "push"}},
		}, "repository:c/d:pull,push"},
		{"all empty", []token.Access{{Type: "repository", Name: "a/b"}}, ""},
	}
	for _, tt := range tests {
		if got := token.FormatScope(tt.access); got != tt.want {
			t.Errorf("%s: FormatScope = %q, want %q", tt.name, got, tt.want)
		}
	}
}
