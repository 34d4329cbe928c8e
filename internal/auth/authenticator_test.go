package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/meta"
)

// identities is the cast of TestPassword and TestSubject.
type identities struct {
	alice, bob, frank meta.User
	dave, gina        meta.User // htpasswd users with a store record
	p                 meta.Project
	alicePAT          string // active
	revokedPAT        string
	expiredPAT        string
	bobPAT            string // of a disabled user
	ci                meta.Robot
	htpasswd          *password.Htpasswd
}

func seed(e *env) identities {
	var id identities
	id.p = e.project("p", false)
	id.alice = e.user("alice", "alice-pw", nil)
	e.member(id.p, id.alice, meta.RoleDeveloper)
	id.bob = e.user("bob", "bob-pw", func(u *meta.User) { u.Disabled = true })
	id.frank = e.user("frank", "frank-pw", func(u *meta.User) { u.Sysadmin = true })
	e.user("lena", "", func(u *meta.User) { u.Source = meta.SourceLDAP })
	// dave and erin are htpasswd users with a store record; carol has none.
	id.dave = e.user("dave", "", func(u *meta.User) { u.Source = meta.SourceHtpasswd; u.Sysadmin = true })
	e.user("erin", "", func(u *meta.User) { u.Source = meta.SourceHtpasswd; u.Disabled = true })
	// gina is in both: htpasswd is asked first.
	id.gina = e.user("gina", "store-pw", nil)
	id.htpasswd = e.htpasswd(map[string]string{"carol": "carol-pw", "dave": "dave-pw", "erin": "erin-pw", "gina": "file-pw"})

	id.alicePAT, _ = e.pat(id.alice, "ci", nil)
	var revoked meta.AccessToken
	id.revokedPAT, revoked = e.pat(id.alice, "old", nil)
	if err := e.store.RevokeAccessToken(e.ctx, id.alice.ID, revoked.ID, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	id.expiredPAT, _ = e.pat(id.alice, "expired", func(t *meta.AccessToken) { t.ExpiresAt = e.clock.Now() })
	id.bobPAT, _ = e.pat(id.bob, "bob", nil)

	id.ci = e.robot("robot$ci", "ci-secret", func(r *meta.Robot) {
		r.Permissions = []meta.RobotPermission{{Project: "p", Actions: []string{"pull", "push"}}}
	})
	e.robot("robot$p+deploy", "deploy-secret", func(r *meta.Robot) {
		r.Level, r.ProjectID = meta.RobotProject, id.p.ID
		r.ExpiresAt = e.clock.Now().Add(time.Hour)
	})
	e.robot("robot$off", "off-secret", func(r *meta.Robot) { r.Disabled = true })
	e.robot("robot$old", "old-secret", func(r *meta.Robot) { r.ExpiresAt = e.clock.Now() })
	return id
}

func TestPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := seed(e)
	a := e.authn(func(o *auth.Options) {
		o.Htpasswd = id.htpasswd
		o.Limiter = password.NewLimiter(password.LimiterOptions{FreeFailures: 1000, Now: e.clock.Now})
	})
	user := func(name string, uid int64, admin bool, roles map[string]access.Role) auth.Caller {
		return auth.Caller{Principal: access.Principal{Kind: access.KindUser, Name: name, SystemAdmin: admin, Roles: roles},
			UserID: uid, Method: auth.MethodBasic}
	}
	aliceCaller := user("alice", id.alice.ID, false, map[string]access.Role{"p": access.RoleDeveloper})

	tests := []struct {
		name, user, secret string
		want               auth.Caller
		wantErr            bool
	}{
		// Local users.
		{"local ok", "alice", "alice-pw", aliceCaller, false},
		{"local admin", "frank", "frank-pw", user("frank", id.frank.ID, true, nil), false},
		{"local wrong password", "alice", "alice-PW", auth.Caller{}, true},
		{"local prefix of password", "alice", "alice-p", auth.Caller{}, true},
		{"local disabled, right password", "bob", "bob-pw", auth.Caller{}, true},
		{"unknown user", "nobody", "alice-pw", auth.Caller{}, true},
		{"username case matters", "Alice", "alice-pw", auth.Caller{}, true},
		{"ldap user has no local password", "lena", "x", auth.Caller{}, true},
		{"empty password", "alice", "", auth.Caller{}, true},
		{"empty username", "", "alice-pw", auth.Caller{}, true},
		{"overlong username", strings.Repeat("a", 256), "x", auth.Caller{}, true},
		{"overlong secret", "alice", strings.Repeat("a", password.MaxSecretLength+1), auth.Caller{}, true},
		// htpasswd.
		{"htpasswd without record", "carol", "carol-pw", auth.Caller{Principal: access.Principal{Kind: access.KindUser, Name: "carol"}, Method: auth.MethodBasic}, false},
		{"htpasswd wrong password", "carol", "nope", auth.Caller{}, true},
		{"htpasswd with record", "dave", "dave-pw", user("dave", id.dave.ID, true, nil), false},
		{"htpasswd with disabled record", "erin", "erin-pw", auth.Caller{}, true},
		{"htpasswd first", "gina", "file-pw", user("gina", id.gina.ID, false, nil), false},
		{"store password shadowed by htpasswd", "gina", "store-pw", auth.Caller{}, true},
		// Robots.
		{"robot ok", "robot$ci", "ci-secret", auth.Caller{Principal: auth.RobotPrincipal(id.ci), RobotID: id.ci.ID, Method: auth.MethodBasic}, false},
		{"robot wrong secret", "robot$ci", "ci-secret2", auth.Caller{}, true},
		{"robot secret of another robot", "robot$ci", "deploy-secret", auth.Caller{}, true},
		{"project robot ok", "robot$p+deploy", "deploy-secret", auth.Caller{}, false},
		{"robot disabled", "robot$off", "off-secret", auth.Caller{}, true},
		{"robot expired", "robot$old", "old-secret", auth.Caller{}, true},
		{"unknown robot", "robot$nope", "ci-secret", auth.Caller{}, true},
		{"robot name without prefix", "ci", "ci-secret", auth.Caller{}, true},
		// Personal access tokens.
		{"access token ok", "alice", id.alicePAT, aliceCaller, false},
		{"access token revoked", "alice", id.revokedPAT, auth.Caller{}, true},
		{"access token expired", "alice", id.expiredPAT, auth.Caller{}, true},
		{"access token of another user", "frank", id.alicePAT, auth.Caller{}, true},
		{"access token of unknown user", "nobody", id.alicePAT, auth.Caller{}, true},
		{"access token of disabled user", "bob", id.bobPAT, auth.Caller{}, true},
		{"unknown access token", "alice", auth.NewAccessTokenSecret(), auth.Caller{}, true},
		{"access token for a robot", "robot$ci", id.alicePAT, auth.Caller{}, true},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				got, err := a.Password(e.ctx, tt.user, tt.secret, "192.0.2.1")
				if tt.wantErr {
					if !errors.Is(err, auth.ErrBadCredentials) {
						t.Fatalf("err = %v, want ErrBadCredentials", err)
					}
					if !got.Anonymous() || got.Method != auth.MethodNone {
						t.Errorf("caller on error = %+v", got)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if tt.want.Method == "" { // only the identity is checked
					if got.Principal.Kind != access.KindRobot || got.Principal.Name != tt.user || got.RobotID == 0 {
						t.Errorf("caller = %+v", got)
					}
					return
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("caller (-want +got):\n%s", diff)
				}
			})
		}
	})
	// The same cast, after the parallel cases (the clock moves).
	t.Run("records use", func(t *testing.T) { testRecordsUse(t, e, id) })
	t.Run("subject", func(t *testing.T) { testSubject(t, e, id) })
}

func testRecordsUse(t *testing.T, e *env, id identities) {
	a := e.authn(nil)
	e.clock.Advance(time.Minute)
	if _, err := a.Password(e.ctx, "alice", "alice-pw", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	u, err := e.store.GetUser(e.ctx, id.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !u.LastLoginAt.Equal(e.clock.Now()) {
		t.Errorf("LastLoginAt = %v, want %v", u.LastLoginAt, e.clock.Now())
	}
	if _, err := a.Password(e.ctx, "alice", id.alicePAT, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	toks, err := e.store.ListAccessTokens(e.ctx, id.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.Name == "ci" && !tk.LastUsedAt.Equal(e.clock.Now()) {
			t.Errorf("token LastUsedAt = %v, want %v", tk.LastUsedAt, e.clock.Now())
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("alice", "alice-pw", nil)
	const free = 3
	a := e.authn(func(o *auth.Options) {
		o.Limiter = password.NewLimiter(password.LimiterOptions{FreeFailures: free, BaseDelay: time.Minute, Now: e.clock.Now})
	})
	const addr = "198.51.100.7"
	for i := range free + 1 {
		if _, err := a.Password(e.ctx, "alice", "wrong", addr); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	// Locked out now, even with the right password.
	_, err := a.Password(e.ctx, "alice", "alice-pw", addr)
	var rl *auth.RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, auth.ErrRateLimited) || errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("err = %v, want a RateLimitError", err)
	}
	if rl.RetryAfter <= 0 || rl.RetryAfter > time.Minute {
		t.Errorf("RetryAfter = %v", rl.RetryAfter)
	}
	if !strings.Contains(rl.Error(), "retry after 1m0s") {
		t.Errorf("Error() = %q", rl.Error())
	}
	// The pair is limited, not the user: alice elsewhere gets in.
	if _, err := a.Password(e.ctx, "alice", "alice-pw", "203.0.113.9"); err != nil {
		t.Errorf("other address: %v", err)
	}
	// Attempts while locked out are not audited as failures.
	if n := len(e.audit(meta.OpLoginFailed)); n != free+1 {
		t.Errorf("%d login_failed events, want %d", n, free+1)
	}
	e.clock.Advance(rl.RetryAfter)
	if _, err := a.Password(e.ctx, "alice", "alice-pw", addr); err != nil {
		t.Errorf("after the lockout: %v", err)
	}
}

func TestFailedLoginAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("alice", "alice-pw", nil)
	e.robot("robot$ci", "ci-secret", nil)
	a := e.authn(nil)
	for _, c := range []struct{ user, secret string }{
		{"alice", "wrong"}, {"nobody", "x"}, {"robot$ci", "wrong"},
	} {
		if _, err := a.Password(e.ctx, c.user, c.secret, "192.0.2.5"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("%s: %v", c.user, err)
		}
	}
	if _, err := a.Password(e.ctx, "alice", "alice-pw", "192.0.2.5"); err != nil {
		t.Fatal(err)
	}
	got := map[string]meta.AuditEvent{}
	for _, ev := range e.audit(meta.OpLoginFailed) {
		got[ev.Username] = ev
	}
	if len(got) != 3 {
		t.Fatalf("login_failed events for %v, want alice, nobody, robot$ci", got)
	}
	ev := got["alice"]
	if ev.RemoteAddr != "192.0.2.5" || ev.PrincipalKind != "anonymous" || ev.ResourceType != "user" ||
		ev.Resource != "alice" || !ev.OccurredAt.Equal(e.clock.Now()) {
		t.Errorf("event = %+v", ev)
	}
}

// TestCredentialCache observes the cache by changing the stored password
// hash: within the TTL the old password still works without a new check,
// after it the change is seen.
func TestCredentialCache(t *testing.T) {
	t.Parallel()
	const ttl = 10 * time.Second
	for _, tt := range []struct {
		name   string
		ttl    time.Duration
		cached bool
	}{
		{"on", ttl, true},
		{"off", -1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			u := e.user("alice", "alice-pw", nil)
			a := e.authn(func(o *auth.Options) { o.CacheTTL = tt.ttl })
			if _, err := a.Password(e.ctx, "alice", "alice-pw", "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
			h, err := password.Hash("new-pw")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.SetUserPassword(e.ctx, u.ID, h); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(ttl - time.Second)
			c, err := a.Password(e.ctx, "alice", "alice-pw", "192.0.2.1")
			if tt.cached {
				if err != nil || c.Principal.Name != "alice" {
					t.Fatalf("within TTL: %+v, %v", c, err)
				}
			} else if !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("no cache: %v, want ErrBadCredentials", err)
			}
			// A different secret for the same user is never a cache hit.
			if _, err := a.Password(e.ctx, "alice", "alice-pw2", "192.0.2.1"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("other secret: %v", err)
			}
			e.clock.Advance(time.Second)
			if _, err := a.Password(e.ctx, "alice", "alice-pw", "192.0.2.1"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("after TTL: %v, want ErrBadCredentials", err)
			}
			if _, err := a.Password(e.ctx, "alice", "new-pw", "192.0.2.1"); err != nil {
				t.Errorf("new password: %v", err)
			}
		})
	}
}

func testSubject(t *testing.T, e *env, id identities) {
	withHT := e.authn(func(o *auth.Options) { o.Htpasswd = id.htpasswd })
	without := e.authn(nil)
	tests := []struct {
		name    string
		a       *auth.Authenticator
		subject string
		want    access.Principal
		wantErr bool
	}{
		{"user", without, "alice", access.Principal{Kind: access.KindUser, Name: "alice", Roles: map[string]access.Role{"p": access.RoleDeveloper}}, false},
		{"admin", without, "frank", access.Principal{Kind: access.KindUser, Name: "frank", SystemAdmin: true}, false},
		{"disabled user", without, "bob", access.Principal{}, true},
		{"unknown user", without, "nobody", access.Principal{}, true},
		{"htpasswd user without record", withHT, "carol", access.Principal{Kind: access.KindUser, Name: "carol"}, false},
		{"htpasswd user, htpasswd off", without, "carol", access.Principal{}, true},
		{"htpasswd user with disabled record", withHT, "erin", access.Principal{}, true},
		{"robot", without, "robot$ci", auth.RobotPrincipal(id.ci), false},
		{"disabled robot", without, "robot$off", access.Principal{}, true},
		{"expired robot", without, "robot$old", access.Principal{}, true},
		{"unknown robot", without, "robot$nope", access.Principal{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tt.a.Subject(e.ctx, tt.subject)
			if tt.wantErr {
				if !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("err = %v, want ErrBadCredentials", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Method != auth.MethodBearer {
				t.Errorf("Method = %s", c.Method)
			}
			if diff := cmp.Diff(tt.want, c.Principal); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("alice", "alice-pw", nil)
	keys, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := token.NewIssuer(keys, token.IssuerOptions{Issuer: "berth", Service: "reg.example"})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := token.NewVerifier(keys, token.VerifierOptions{Issuer: "berth", Service: "reg.example"})
	if err != nil {
		t.Fatal(err)
	}
	grant := []token.Access{{Type: "repository", Name: "p/x", Actions: []string{"pull"}}}
	issue := func(sub string) string {
		tok, _, _, err := issuer.Issue(sub, grant, 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	refresh, err := issuer.IssueRefresh("alice", "cli")
	if err != nil {
		t.Fatal(err)
	}
	basic := func(u, p string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	withVerifier := e.authn(func(o *auth.Options) { o.Verifier = verifier })

	tests := []struct {
		name     string
		a        *auth.Authenticator
		header   string
		kind     access.Kind
		subject  string
		method   auth.Method
		wantErr  error
		hasClaim bool
	}{
		{"no credentials", withVerifier, "", access.KindAnonymous, "", auth.MethodNone, nil, false},
		{"basic ok", withVerifier, basic("alice", "alice-pw"), access.KindUser, "alice", auth.MethodBasic, nil, false},
		{"basic lower-case scheme", withVerifier, "basic " + strings.TrimPrefix(basic("alice", "alice-pw"), "Basic "), access.KindUser, "alice", auth.MethodBasic, nil, false},
		{"basic wrong", withVerifier, basic("alice", "nope"), access.KindAnonymous, "", auth.MethodNone, auth.ErrBadCredentials, false},
		{"basic malformed", withVerifier, "Basic !!!", access.KindAnonymous, "", auth.MethodNone, auth.ErrBadCredentials, false},
		{"unsupported scheme", withVerifier, "Digest x=y", access.KindAnonymous, "", auth.MethodNone, auth.ErrBadCredentials, false},
		{"bearer user", withVerifier, "Bearer " + issue("alice"), access.KindUser, "alice", auth.MethodBearer, nil, true},
		{"bearer robot", withVerifier, "Bearer " + issue("robot$ci"), access.KindRobot, "robot$ci", auth.MethodBearer, nil, true},
		{"bearer anonymous", withVerifier, "Bearer " + issue(""), access.KindAnonymous, "", auth.MethodBearer, nil, true},
		{"bearer garbage", withVerifier, "Bearer abc", access.KindAnonymous, "", auth.MethodNone, token.ErrMalformed, false},
		{"bearer empty", withVerifier, "Bearer ", access.KindAnonymous, "", auth.MethodNone, token.ErrInvalidToken, false},
		{"bearer refresh token", withVerifier, "Bearer " + refresh, access.KindAnonymous, "", auth.MethodNone, token.ErrWrongTokenType, false},
		{"bearer without verifier", e.authn(nil), "Bearer " + issue("alice"), access.KindAnonymous, "", auth.MethodNone, token.ErrInvalidToken, false},
		{"auth off", e.authn(func(o *auth.Options) { o.Disabled = true }), basic("alice", "nope"), access.KindUser, "anonymous-admin", auth.MethodAuthOff, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				got    auth.Caller
				gotErr error
				called bool
			)
			h := tt.a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got, gotErr = auth.CallerFrom(r.Context()), auth.ErrorFrom(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/v2/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if !called {
				t.Fatal("next handler not called")
			}
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("middleware answered itself: %d %q", w.Code, w.Body)
			}
			if tt.wantErr == nil && gotErr != nil || tt.wantErr != nil && !errors.Is(gotErr, tt.wantErr) {
				t.Fatalf("ErrorFrom = %v, want %v", gotErr, tt.wantErr)
			}
			if got.Principal.Kind != tt.kind || got.Principal.Name != tt.subject || got.Method != tt.method {
				t.Errorf("CallerFrom = %+v, want %v %q %s", got, tt.kind, tt.subject, tt.method)
			}
			if (got.Claims != nil) != tt.hasClaim {
				t.Errorf("Claims = %+v", got.Claims)
			}
			if tt.hasClaim && !got.Claims.Allows("repository", "p/x", "pull") {
				t.Errorf("claims lost their access: %+v", got.Claims)
			}
		})
	}
	if tests[len(tests)-1].a.Disabled() != true || withVerifier.Disabled() {
		t.Error("Disabled() wrong")
	}
}

func TestCallerContext(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if c := auth.CallerFrom(ctx); !c.Anonymous() || c.Method != auth.MethodNone || auth.ErrorFrom(ctx) != nil {
		t.Errorf("bare context: %+v, %v", c, auth.ErrorFrom(ctx))
	}
	alice := auth.Caller{Principal: access.Principal{Kind: access.KindUser, Name: "alice"}, UserID: 7, Method: auth.MethodBasic}
	if c := auth.CallerFrom(auth.WithCaller(ctx, alice)); c.UserID != 7 || c.Kind() != "user" || c.Anonymous() {
		t.Errorf("WithCaller: %+v", c)
	}
	failed := auth.WithError(auth.WithCaller(ctx, alice), auth.ErrBadCredentials)
	if c := auth.CallerFrom(failed); !c.Anonymous() || c.UserID != 0 {
		t.Errorf("WithError keeps the caller: %+v", c)
	}
	if !errors.Is(auth.ErrorFrom(failed), auth.ErrBadCredentials) {
		t.Errorf("ErrorFrom = %v", auth.ErrorFrom(failed))
	}
	if k := (auth.Caller{}).Kind(); k != "anonymous" {
		t.Errorf("Kind = %q", k)
	}
}

func TestAccessTokenSecret(t *testing.T) {
	t.Parallel()
	s := auth.NewAccessTokenSecret()
	if !strings.HasPrefix(s, auth.AccessTokenPrefix) || !auth.IsAccessTokenSecret(s) || s == auth.NewAccessTokenSecret() {
		t.Errorf("NewAccessTokenSecret = %q", s)
	}
	for _, bad := range []string{"", "password", auth.AccessTokenPrefix, auth.AccessTokenPrefix + "short", "x" + s} {
		if auth.IsAccessTokenSecret(bad) {
			t.Errorf("IsAccessTokenSecret(%q) = true", bad)
		}
	}
	h := auth.HashAccessToken(s)
	if len(h) != 64 || h != auth.HashAccessToken(s) || h == auth.HashAccessToken(s+"x") || strings.Contains(h, s) {
		t.Errorf("HashAccessToken = %q", h)
	}
	// A known vector: hex SHA-256.
	if got := auth.HashAccessToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashAccessToken(abc) = %s", got)
	}
}
