package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/meta"
)

func TestSessionKeyFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "keys", "session.hmac")
	a, err := auth.LoadOrCreateSessionKey(file, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := auth.LoadOrCreateSessionKey(file, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := a.Issue(meta.User{ID: 1, Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	// Another replica reading the same file verifies the session.
	if _, err := b.Parse(v); err != nil {
		t.Fatalf("second instance: %v", err)
	}
	if a.TTL() != auth.DefaultSessionTTL || b.TTL() != time.Hour {
		t.Errorf("ttl = %v, %v", a.TTL(), b.TTL())
	}
}

// sessionRequest is a request on path carrying the session cookie v.
func sessionRequest(method, path, v, csrf string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: v})
	if csrf != "" {
		r.Header.Set(auth.CSRFHeader, csrf)
	}
	return r
}

func TestSessionAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sessions := auth.NewSessions([]byte(strings.Repeat("k", 32)), time.Hour).WithClock(e.clock.Now)
	a := e.authn(func(o *auth.Options) { o.Sessions = sessions })
	alice := e.user("alice", "Alice-pass-1", nil)
	e.member(e.project("team", false), alice, meta.RoleDeveloper)
	e.robot("robot$ci", "Robot-secret-1", nil)

	if _, _, _, err := a.Login(e.ctx, "alice", "wrong", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("bad password: %v", err)
	}
	if _, _, _, err := a.Login(e.ctx, "robot$ci", "Robot-secret-1", "10.0.0.1"); !errors.Is(err, auth.ErrNotAUser) {
		t.Fatalf("robot login: %v", err)
	}
	c, sess, v, err := a.Login(e.ctx, "alice", "Alice-pass-1", "10.0.0.1")
	if err != nil || c.Principal.Name != "alice" || c.Method != auth.MethodSession {
		t.Fatalf("login: %+v %v", c, err)
	}
	if got := e.audit(meta.OpLogin); len(got) != 1 || got[0].Username != "alice" {
		t.Errorf("login audit = %+v", got)
	}
	csrf := sessions.CSRFToken(sess)

	for _, tc := range []struct {
		name, method, path, cookie, csrf string
		want                             string // username, "" for anonymous
		wantErr                          error
	}{
		{"api read", http.MethodGet, "/api/v2.0/projects", v, "", "alice", nil},
		{"ui endpoint", http.MethodGet, "/c/session", v, "", "alice", nil},
		{"api write with csrf", http.MethodPost, "/api/v2.0/projects", v, csrf, "alice", nil},
		{"api write without csrf", http.MethodPost, "/api/v2.0/projects", v, "", "", auth.ErrCSRF},
		{"api write wrong csrf", http.MethodDelete, "/api/v2.0/projects/team", v, "x" + csrf, "", auth.ErrCSRF},
		{"never on /v2/", http.MethodGet, "/v2/team/app/tags/list", v, "", "", nil},
		{"never on the token service", http.MethodGet, "/service/token", v, "", "", nil},
		{"forged", http.MethodGet, "/api/v2.0/projects", v[:len(v)-2] + "AA", "", "", nil},
		{"garbage", http.MethodGet, "/api/v2.0/projects", "nonsense", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := a.Authenticate(e.ctx, sessionRequest(tc.method, tc.path, tc.cookie, tc.csrf))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if c.Principal.Name != tc.want {
				t.Fatalf("caller = %q (%s), want %q", c.Principal.Name, c.Method, tc.want)
			}
			if tc.want != "" && (c.Method != auth.MethodSession || c.Principal.Roles["team"] != "developer") {
				t.Errorf("caller = %+v", c)
			}
		})
	}

	// A changed password ends the session; so does expiry.
	e.clock.Advance(30 * time.Minute)
	if c, _ := a.Authenticate(e.ctx, sessionRequest(http.MethodGet, "/api/v2.0/projects", v, "")); c.Principal.Name != "alice" {
		t.Fatalf("session before expiry: %+v", c)
	}
	e.clock.Advance(31 * time.Minute)
	if c, _ := a.Authenticate(e.ctx, sessionRequest(http.MethodGet, "/api/v2.0/projects", v, "")); !c.Anonymous() {
		t.Fatalf("expired session still works: %+v", c)
	}
	_, _, v, err = a.Login(e.ctx, "alice", "Alice-pass-1", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetUserPassword(e.ctx, alice.ID, e.hash("Alice-pass-2")); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Authenticate(e.ctx, sessionRequest(http.MethodGet, "/api/v2.0/projects", v, "")); !c.Anonymous() {
		t.Fatalf("session survived a password change: %+v", c)
	}
}
