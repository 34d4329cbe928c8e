package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/project"
)

const service = "reg.example"

// tokenEnv is a token service over httptest with a real store.
type tokenEnv struct {
	*env
	srv      *httptest.Server
	verifier *token.Verifier
	alice    meta.User
}

func newTokenEnv(t *testing.T) *tokenEnv {
	t.Helper()
	e := newEnv(t)
	p := e.project("p", false)
	e.project("q", false)
	e.project("pub", true)
	alice := e.user("alice", "alice-pw", nil)
	e.member(p, alice, meta.RoleDeveloper)
	e.robot("robot$ci", "ci-secret", func(r *meta.Robot) {
		r.Permissions = []meta.RobotPermission{{Project: "q", Actions: []string{"pull"}}}
	})

	keys, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := token.NewIssuer(keys, token.IssuerOptions{Issuer: "berth", Service: service})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := token.NewVerifier(keys, token.VerifierOptions{Issuer: "berth", Service: service})
	if err != nil {
		t.Fatal(err)
	}
	// Real time here: the issuer and Grant read the wall clock.
	a := auth.New(e.store, testLog(t), auth.Options{
		CacheTTL: -1,
		Limiter:  password.NewLimiter(password.LimiterOptions{FreeFailures: 2, BaseDelay: time.Minute}),
	})
	ts := auth.NewTokenServer(a, access.New(access.Options{}), issuer, verifier, project.NewCache(e.store, 0), service, testLog(t))
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	return &tokenEnv{env: e, srv: srv, verifier: verifier, alice: alice}
}

type tokenResult struct {
	status int
	header http.Header
	resp   token.Response
	raw    map[string]any
	claims *token.Claims // of the access token, when 200
}

func (te *tokenEnv) do(t *testing.T, req *http.Request) tokenResult {
	t.Helper()
	res, err := te.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := tokenResult{status: res.StatusCode, header: res.Header}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if err := json.Unmarshal(body, &r.raw); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &r.resp); err != nil {
			t.Fatal(err)
		}
		if r.resp.Token == "" || r.resp.AccessToken != r.resp.Token {
			t.Fatalf("response %s", body)
		}
		if r.claims, err = te.verifier.Verify(r.resp.Token); err != nil {
			t.Fatalf("issued token does not verify: %v", err)
		}
	}
	return r
}

func (te *tokenEnv) get(t *testing.T, query url.Values, user, pass string) tokenResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, te.srv.URL+auth.TokenPath+"?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return te.do(t, req)
}

func (te *tokenEnv) post(t *testing.T, form url.Values) tokenResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, te.srv.URL+auth.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return te.do(t, req)
}

func repo(name string, actions ...string) token.Access {
	return token.Access{Type: "repository", Name: name, Actions: actions}
}

func TestTokenServerGet(t *testing.T) {
	t.Parallel()
	te := newTokenEnv(t)
	scopes := []string{"repository:p/x:pull,push", "repository:q/y:pull", "repository:pub/z:pull,push", "repository:nope/w:pull"}
	tests := []struct {
		name       string
		query      url.Values
		user, pass string
		subject    string
		want       []token.Access
	}{
		{
			name:  "developer gets the intersection",
			query: url.Values{"service": {service}, "scope": scopes}, user: "alice", pass: "alice-pw", subject: "alice",
			want: []token.Access{repo("p/x", "pull", "push"), repo("pub/z", "pull")},
		},
		{
			name:  "anonymous gets pull on public projects only",
			query: url.Values{"service": {service}, "scope": scopes},
			want:  []token.Access{repo("pub/z", "pull")},
		},
		{
			name:  "robot",
			query: url.Values{"service": {service}, "scope": scopes}, user: "robot$ci", pass: "ci-secret", subject: "robot$ci",
			// Its own grant, and pull on public projects as anyone has.
			want: []token.Access{repo("q/y", "pull"), repo("pub/z", "pull")},
		},
		{
			name:  "space-separated scopes in one parameter",
			query: url.Values{"scope": {"repository:p/x:pull repository:q/y:pull"}}, user: "alice", pass: "alice-pw", subject: "alice",
			want: []token.Access{repo("p/x", "pull")},
		},
		{
			name:  "star expands to what the caller may do",
			query: url.Values{"scope": {"repository:p/x:*"}}, user: "alice", pass: "alice-pw", subject: "alice",
			want: []token.Access{repo("p/x", "pull", "push")},
		},
		{
			name:  "login without scope",
			query: url.Values{"service": {service}}, user: "alice", pass: "alice-pw", subject: "alice",
			want: []token.Access{},
		},
		{
			name:  "anonymous without scope",
			query: url.Values{},
			want:  []token.Access{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := te.get(t, tt.query, tt.user, tt.pass)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %v", r.status, r.raw)
			}
			if r.claims.Subject != tt.subject {
				t.Errorf("sub = %q, want %q", r.claims.Subject, tt.subject)
			}
			got := r.claims.Access
			if got == nil {
				got = []token.Access{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("access (-want +got):\n%s", diff)
			}
			if r.resp.Scope != token.FormatScope(tt.want) {
				t.Errorf("scope = %q, want %q", r.resp.Scope, token.FormatScope(tt.want))
			}
			if r.resp.ExpiresIn < 60 || r.resp.RefreshToken != "" {
				t.Errorf("response = %+v", r.resp)
			}
			if _, err := time.Parse(time.RFC3339, r.resp.IssuedAt); err != nil {
				t.Errorf("issued_at: %v", err)
			}
		})
	}
}

func TestTokenServerGetOffline(t *testing.T) {
	t.Parallel()
	te := newTokenEnv(t)
	q := url.Values{"service": {service}, "offline_token": {"true"}, "client_id": {"docker"}}
	r := te.get(t, q, "alice", "alice-pw")
	if r.status != http.StatusOK || r.resp.RefreshToken == "" {
		t.Fatalf("status %d, response %+v", r.status, r.raw)
	}
	c, err := te.verifier.VerifyRefresh(r.resp.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice" || c.ClientID != "docker" {
		t.Errorf("refresh claims = %+v", c)
	}
	if _, err := te.verifier.Verify(r.resp.RefreshToken); err == nil {
		t.Error("refresh token accepted as access token")
	}
	// The login is audited.
	evs := te.audit(meta.OpLogin)
	if len(evs) != 1 || evs[0].Username != "alice" || evs[0].PrincipalKind != "user" {
		t.Errorf("login events = %+v", evs)
	}
	// Anonymous callers get no refresh token.
	if r := te.get(t, q, "", ""); r.status != http.StatusOK || r.resp.RefreshToken != "" {
		t.Errorf("anonymous offline: %d %+v", r.status, r.raw)
	}
	if _, ok := te.get(t, url.Values{"service": {service}}, "", "").raw["refresh_token"]; ok {
		t.Error("refresh_token field present without offline_token")
	}
}

func TestTokenServerGetRefused(t *testing.T) {
	t.Parallel()
	te := newTokenEnv(t)
	tests := []struct {
		name          string
		query         url.Values
		user, pass    string
		authorization string
		status        int
		code          string
	}{
		{"bad password", url.Values{"service": {service}}, "alice", "nope", "", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"unknown user", url.Values{"service": {service}}, "nobody", "nope", "", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"bearer instead of basic", url.Values{}, "", "", "Bearer abc", http.StatusUnauthorized, "UNAUTHORIZED"},
		{"unknown service", url.Values{"service": {"other.example"}}, "alice", "alice-pw", "", http.StatusBadRequest, "DENIED"},
		{"malformed scope", url.Values{"scope": {"repository:P/X:pull"}}, "", "", "", http.StatusBadRequest, "DENIED"},
		{"scope with a host", url.Values{"scope": {"repository:localhost:5000/x:pull"}}, "", "", "", http.StatusBadRequest, "DENIED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, te.srv.URL+auth.TokenPath+"?"+tt.query.Encode(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			r := te.do(t, req)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %v", r.status, tt.status, r.raw)
			}
			if got := errorCode(r.raw); got != tt.code {
				t.Errorf("code = %q, want %q (%v)", got, tt.code, r.raw)
			}
			if tt.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func errorCode(raw map[string]any) string {
	errs, _ := raw["errors"].([]any)
	if len(errs) != 1 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestTokenServerRateLimit(t *testing.T) {
	t.Parallel()
	te := newTokenEnv(t)
	for range 3 {
		if r := te.get(t, url.Values{}, "alice", "nope"); r.status != http.StatusUnauthorized {
			t.Fatalf("status %d", r.status)
		}
	}
	r := te.get(t, url.Values{}, "alice", "alice-pw")
	if r.status != http.StatusTooManyRequests || errorCode(r.raw) != "TOOMANYREQUESTS" {
		t.Fatalf("status %d %v, want 429", r.status, r.raw)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 61 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {"cli"}, "username": {"alice"}, "password": {"alice-pw"}}
	if r := te.post(t, form); r.status != http.StatusTooManyRequests || r.raw["error"] != "invalid_grant" || r.header.Get("Retry-After") == "" {
		t.Errorf("POST: %d %v", r.status, r.raw)
	}
	if n := len(te.audit(meta.OpLoginFailed)); n != 3 {
		t.Errorf("%d login_failed events, want 3", n)
	}
}

func TestTokenServerPost(t *testing.T) {
	t.Parallel()
	te := newTokenEnv(t)
	form := url.Values{
		"grant_type": {"password"}, "client_id": {"cli"}, "username": {"alice"}, "password": {"alice-pw"},
		"access_type": {"offline"}, "service": {service}, "scope": {"repository:p/x:pull,push repository:q/y:pull"},
	}
	r := te.post(t, form)
	if r.status != http.StatusOK {
		t.Fatalf("password grant: %d %v", r.status, r.raw)
	}
	if diff := cmp.Diff([]token.Access{repo("p/x", "pull", "push")}, r.claims.Access); diff != "" {
		t.Errorf("access (-want +got):\n%s", diff)
	}
	if r.resp.Scope != "repository:p/x:pull,push" {
		t.Errorf("scope = %q", r.resp.Scope)
	}
	rt := r.resp.RefreshToken
	if rt == "" {
		t.Fatal("no refresh token with access_type=offline")
	}
	if c, err := te.verifier.VerifyRefresh(rt); err != nil || c.ClientID != "cli" || c.Subject != "alice" {
		t.Fatalf("refresh token: %+v, %v", c, err)
	}

	// Without access_type=offline there is no refresh token.
	online := cloneValues(form)
	online.Del("access_type")
	if r := te.post(t, online); r.status != http.StatusOK || r.resp.RefreshToken != "" {
		t.Errorf("online password grant: %d %+v", r.status, r.raw)
	}

	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}, "refresh_token": {rt},
		"scope": {"repository:p/x:pull repository:q/y:pull"}, "access_type": {"offline"}}
	r = te.post(t, refresh)
	if r.status != http.StatusOK {
		t.Fatalf("refresh grant: %d %v", r.status, r.raw)
	}
	if r.resp.RefreshToken != rt {
		t.Errorf("refresh grant returned refresh token %q, want the same one", r.resp.RefreshToken)
	}
	if r.claims.Subject != "alice" {
		t.Errorf("sub = %q", r.claims.Subject)
	}
	if diff := cmp.Diff([]token.Access{repo("p/x", "pull")}, r.claims.Access); diff != "" {
		t.Errorf("refreshed access (-want +got):\n%s", diff)
	}

	// An access token is not a refresh token.
	bad := cloneValues(refresh)
	bad.Set("refresh_token", r.resp.Token)
	if r := te.post(t, bad); r.status != http.StatusUnauthorized || r.raw["error"] != "invalid_grant" {
		t.Errorf("access token as refresh token: %d %v", r.status, r.raw)
	}

	// Disabling alice ends her refresh token.
	alice := te.alice
	alice.Disabled = true
	if _, err := te.store.UpdateUser(te.ctx, alice); err != nil {
		t.Fatal(err)
	}
	if r := te.post(t, refresh); r.status != http.StatusUnauthorized || r.raw["error"] != "invalid_grant" {
		t.Errorf("refresh for a disabled user: %d %v", r.status, r.raw)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestTokenServerPostRefused(t *testing.T) {
	t.Parallel()
	te := newTokenEnv(t)
	ok := url.Values{"grant_type": {"password"}, "client_id": {"cli"}, "username": {"alice"}, "password": {"alice-pw"}}
	edit := func(f func(url.Values)) url.Values {
		v := cloneValues(ok)
		f(v)
		return v
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"missing client_id", edit(func(v url.Values) { v.Del("client_id") }), http.StatusBadRequest, "invalid_request"},
		{"unsupported grant", edit(func(v url.Values) { v.Set("grant_type", "client_credentials") }), http.StatusBadRequest, "unsupported_grant_type"},
		{"no grant", edit(func(v url.Values) { v.Del("grant_type") }), http.StatusBadRequest, "unsupported_grant_type"},
		{"unknown service", edit(func(v url.Values) { v.Set("service", "other") }), http.StatusBadRequest, "invalid_request"},
		{"malformed scope", edit(func(v url.Values) { v.Set("scope", "repository::pull") }), http.StatusBadRequest, "invalid_scope"},
		{"wrong password", edit(func(v url.Values) { v.Set("password", "nope") }), http.StatusUnauthorized, "invalid_grant"},
		{"no password", edit(func(v url.Values) { v.Del("password") }), http.StatusUnauthorized, "invalid_grant"},
		{"garbage refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}, "refresh_token": {"x.y.z"}}, http.StatusUnauthorized, "invalid_grant"},
		{"no refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}}, http.StatusUnauthorized, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := te.post(t, tt.form)
			if r.status != tt.status || r.raw["error"] != tt.code {
				t.Errorf("got %d %v, want %d %s", r.status, r.raw, tt.status, tt.code)
			}
		})
	}

	t.Run("method not allowed", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest(http.MethodPut, te.srv.URL+auth.TokenPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := te.do(t, req)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST" {
			t.Errorf("PUT: %d Allow %q", r.status, r.header.Get("Allow"))
		}
	})
}
