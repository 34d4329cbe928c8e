package meta

import (
	"testing"
	"time"
)

func TestProjectOf(t *testing.T) {
	t.Parallel()
	for repo, want := range map[string]string{
		"library/nginx": "library",
		"team/app/api":  "team",
		"alpine":        "alpine",
		"a/b":           "a",
		"é/x":           "é",
	} {
		if got := ProjectOf(repo); got != want {
			t.Errorf("ProjectOf(%q) = %q, want %q", repo, got, want)
		}
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	for _, r := range []Role{RoleProjectAdmin, RoleMaintainer, RoleDeveloper, RoleGuest, RoleLimitedGuest} {
		if !r.Valid() {
			t.Errorf("Role(%q).Valid() = false", r)
		}
	}
	for _, r := range []Role{"", "admin", "ProjectAdmin"} {
		if r.Valid() {
			t.Errorf("Role(%q).Valid() = true", r)
		}
	}
	for _, s := range []UserSource{SourceLocal, SourceHtpasswd, SourceLDAP, SourceOIDC} {
		if !s.Valid() {
			t.Errorf("UserSource(%q).Valid() = false", s)
		}
	}
	if UserSource("").Valid() || UserSource("kerberos").Valid() {
		t.Error("unknown sources are valid")
	}
}

func TestAccessTokenActive(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		tok  AccessToken
		want bool
	}{
		{"NoExpiry", AccessToken{}, true},
		{"NotYetExpired", AccessToken{ExpiresAt: now.Add(time.Second)}, true},
		{"ExpiresNow", AccessToken{ExpiresAt: now}, false},
		{"Expired", AccessToken{ExpiresAt: now.Add(-time.Second)}, false},
		{"Revoked", AccessToken{RevokedAt: now.Add(-time.Hour)}, false},
		{"RevokedLater", AccessToken{RevokedAt: now.Add(time.Hour)}, false}, // revocation is immediate
	} {
		if got := tc.tok.Active(now); got != tc.want {
			t.Errorf("%s: Active = %v, want %v", tc.name, got, tc.want)
		}
	}
}
