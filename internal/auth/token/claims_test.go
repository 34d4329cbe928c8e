package token_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/auth/token"
)

func TestClaimsAllows(t *testing.T) {
	t.Parallel()
	c := &token.Claims{Access: []token.Access{
		{Type: "repository", Name: "p/a", Actions: []string{"pull"}},
		{Type: "repository", Name: "p/b", Actions: []string{"pull", "push"}},
		{Type: "repository", Name: "p/all", Actions: []string{"*"}},
		{Type: "repository", Class: "plugin", Name: "p/plug", Actions: []string{"pull"}},
		{Type: "registry", Name: "catalog", Actions: []string{"*"}},
		{Type: "repository", Name: "p/none", Actions: nil},
	}}
	tests := []struct {
		typ, name, action string
		want              bool
	}{
		{"repository", "p/a", "pull", true},
		{"repository", "p/a", "push", false},
		{"repository", "p/a", "delete", false},
		{"repository", "p/b", "push", true},
		{"repository", "p/b", "pull", true},
		// Exact names only: no prefixes, parents, children, case folding.
		{"repository", "p/a/b", "pull", false},
		{"repository", "p", "pull", false},
		{"repository", "p/", "pull", false},
		{"repository", "p/aa", "pull", false},
		{"repository", "P/A", "pull", false},
		{"repository", "p/c", "pull", false},
		{"repository", "", "pull", false},
		{"repository", "*", "pull", false},
		// "*" covers every action on its own resource, nothing else.
		{"repository", "p/all", "pull", true},
		{"repository", "p/all", "push", true},
		{"repository", "p/all", "delete", true},
		{"repository", "p/all", "anything", true},
		{"repository", "p/all/x", "pull", false},
		{"repository", "p/allx", "pull", false},
		// A requested action "*" is not a wildcard over the grant.
		{"repository", "p/a", "*", false},
		{"repository", "p/all", "*", true},
		// Type must match too.
		{"registry", "p/a", "pull", false},
		{"repository", "catalog", "*", false},
		{"registry", "catalog", "*", true},
		{"registry", "catalog", "pull", true},
		{"", "p/a", "pull", false},
		// The class does not affect authorization.
		{"repository", "p/plug", "pull", true},
		// Empty action, empty grants.
		{"repository", "p/a", "", false},
		{"repository", "p/all", "", false},
		{"repository", "p/none", "pull", false},
	}
	for _, tt := range tests {
		if got := c.Allows(tt.typ, tt.name, tt.action); got != tt.want {
			t.Errorf("Allows(%q, %q, %q) = %v, want %v", tt.typ, tt.name, tt.action, got, tt.want)
		}
	}
	var nilClaims *token.Claims
	if nilClaims.Allows("repository", "p/a", "pull") {
		t.Error("nil claims allow")
	}
	if (&token.Claims{}).Allows("repository", "p/a", "pull") {
		t.Error("empty claims allow")
	}
}

func TestRefreshAudience(t *testing.T) {
	t.Parallel()
	if a := token.RefreshAudience(testService); a == testService || a != "urn:berth:refresh-token:"+testService {
		t.Errorf("RefreshAudience = %q", a)
	}
}

func TestNewResponse(t *testing.T) {
	t.Parallel()
	issued := time.Date(2025, 6, 1, 14, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name    string
		refresh string
		granted []token.Access
		want    token.Response
		json    string
	}{
		{
			name: "with refresh and scopes",
			granted: []token.Access{
				{Type: "repository", Name: "p/x", Actions: []string{"pull", "push"}},
				{Type: "repository", Name: "p/y", Actions: nil},
				{Type: "repository", Class: "plugin", Name: "p/z", Actions: []string{"pull"}},
				{Type: "registry", Name: "catalog", Actions: []string{"*"}},
			},
			refresh: "rt",
			want: token.Response{Token: "tok", AccessToken: "tok", ExpiresIn: 300, IssuedAt: "2025-06-01T12:30:00Z",
				RefreshToken: "rt", Scope: "repository:p/x:pull,push repository(plugin):p/z:pull registry:catalog:*"},
			json: `{"token":"tok","access_token":"tok","expires_in":300,"issued_at":"2025-06-01T12:30:00Z",` +
				`"refresh_token":"rt","scope":"repository:p/x:pull,push repository(plugin):p/z:pull registry:catalog:*"}`,
		},
		{
			name: "anonymous, nothing granted",
			want: token.Response{Token: "tok", AccessToken: "tok", ExpiresIn: 300, IssuedAt: "2025-06-01T12:30:00Z"},
			json: `{"token":"tok","access_token":"tok","expires_in":300,"issued_at":"2025-06-01T12:30:00Z","scope":""}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := token.NewResponse("tok", 300, issued, tt.refresh, tt.granted)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewResponse (-want +got):\n%s", diff)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.json {
				t.Errorf("JSON = %s\nwant   %s", b, tt.json)
			}
		})
	}
}
