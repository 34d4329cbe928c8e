package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
	"github.com/berth-oci/berth/internal/ui"
)

// sessionServer is the UI handler and a stand-in API behind the real
// authentication middleware: /api/ and /v2/ answer with the caller's name.
func sessionServer(t *testing.T) (*httptest.Server, *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, sqlstore.DriverSQLite, filepath.Join(t.TempDir(), "berth.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	hash, err := password.Hash("Alice-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateUser(ctx, meta.User{Username: "alice", Source: meta.SourceLocal, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewSessions([]byte(strings.Repeat("s", 32)), time.Hour)
	authn := auth.New(store, nil, auth.Options{Sessions: sessions, Limiter: password.NewLimiter(password.LimiterOptions{FreeFailures: 2})})
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := auth.ErrorFrom(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "caller="+auth.CallerFrom(r.Context()).Principal.Name)
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", whoami)
	mux.Handle("/v2/", whoami)
	mux.Handle("/", ui.NewFS(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, authn, nil))
	hs := httptest.NewServer(authn.Middleware(mux))
	t.Cleanup(hs.Close)
	return hs, store
}

type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func (b *browser) do(method, path, ctype, body string, hdr map[string]string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func TestSessionEndpoints(t *testing.T) {
	t.Parallel()
	hs, store := sessionServer(t)
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: hs.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	if resp, _ := b.do(http.MethodGet, "/c/session", "", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session before login = %d", resp.StatusCode)
	}
	if resp, _ := b.do(http.MethodPost, "/c/login", "application/json", `{"username":"alice","password":"nope"}`, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad login = %d", resp.StatusCode)
	}
	if resp, _ := b.do(http.MethodPost, "/c/login", "text/plain", `alice`, nil); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text login = %d", resp.StatusCode)
	}
	if resp, _ := b.do(http.MethodPost, "/c/login", "application/x-www-form-urlencoded", "username=alice&password=Alice-pass-1",
		map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("cross-origin form login = %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	resp, body := b.do(http.MethodPost, "/c/login", "application/json", `{"username":"alice","password":"Alice-pass-1"}`,
		map[string]string{"Origin": hs.URL})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d %s", resp.StatusCode, body)
	}
	set := resp.Header.Get("Set-Cookie")
	for _, want := range []string{auth.SessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie over plain HTTP is Secure: %q", set)
	}
	var s struct {
		Username  string `json:"username"`
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Username != "alice" || s.CSRFToken == "" {
		t.Fatalf("login body %s: %v", body, err)
	}
	b.csrf = s.CSRFToken
	csrf := map[string]string{auth.CSRFHeader: b.csrf}

	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
		status       int
		body         string
	}{
		{http.MethodGet, "/c/session", nil, 200, `"csrf_token":"` + b.csrf},
		{http.MethodGet, "/api/v2.0/users/current", nil, 200, "caller=alice"},
		{http.MethodPost, "/api/v2.0/projects", nil, 401, "CSRF"},
		{http.MethodDelete, "/api/v2.0/projects/x", map[string]string{auth.CSRFHeader: "forged"}, 401, "CSRF"},
		{http.MethodPost, "/api/v2.0/projects", csrf, 200, "caller=alice"},
		{http.MethodGet, "/v2/_catalog", nil, 200, "caller="}, // the cookie is not a registry credential
	} {
		resp, body := b.do(tc.method, tc.path, "", "", tc.hdr)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) || (tc.path == "/v2/_catalog" && body != "caller=") {
			t.Errorf("%s %s = %d %q, want %d with %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
	}
	if evs, _ := store.ListAudit(context.Background(), meta.AuditFilter{Operation: meta.OpLogin}, meta.Window{Limit: 10}); len(evs) != 1 || evs[0].Username != "alice" {
		t.Errorf("login audit = %+v", evs)
	}

	resp, _ = b.do(http.MethodPost, "/c/logout", "", "", csrf)
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout = %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if resp, body := b.do(http.MethodGet, "/api/v2.0/users/current", "", "", nil); body != "caller=" {
		t.Errorf("after logout: %d %q", resp.StatusCode, body)
	}

	// A form login (no script) redirects; failures say so in the URL.
	form := url.Values{"username": {"alice"}, "password": {"Alice-pass-1"}}.Encode()
	resp, _ = b.do(http.MethodPost, "/c/login", "application/x-www-form-urlencoded", form, map[string]string{"X-Forwarded-Proto": "https"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || !strings.Contains(resp.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("form login = %d to %q, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Set-Cookie"))
	}

	// Repeated failures are rate-limited: 429 with Retry-After.
	var last *http.Response
	for range 4 {
		last, _ = b.do(http.MethodPost, "/c/login", "application/json", `{"username":"alice","password":"wrong"}`, nil)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("after repeated failures = %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
}
