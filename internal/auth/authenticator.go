package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/httpx"
	"github.com/berth-oci/berth/internal/meta"
)

// Errors of Authenticate and Password. Both mean 401.
var (
	// ErrBadCredentials: unknown user, wrong password or secret, or a
	// disabled or expired account (which are not told apart, so that the
	// answer reveals nothing).
	ErrBadCredentials = errors.New("invalid username or password")
	// ErrRateLimited: too many failed logins; see RateLimitError.
	ErrRateLimited = errors.New("too many failed logins")
)

// RateLimitError says how long to wait; it wraps ErrRateLimited.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: retry after %s", ErrRateLimited, e.RetryAfter.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// RobotPrefix starts every robot account name.
const RobotPrefix = "robot$"

// Store is what authentication reads from the metadata store.
type Store interface {
	GetUserByName(ctx context.Context, username string) (meta.User, error)
	GetUser(ctx context.Context, id int64) (meta.User, error)
	UserMemberships(ctx context.Context, userID int64) ([]meta.Member, error)
	RecordLogin(ctx context.Context, id int64, at time.Time) error
	GetRobotByName(ctx context.Context, name string) (meta.Robot, error)
	GetAccessTokenByHash(ctx context.Context, hash string) (meta.AccessToken, error)
	TouchAccessToken(ctx context.Context, id int64, at time.Time) error
	AppendAudit(ctx context.Context, events ...meta.AuditEvent) error
}

// Options configure an Authenticator.
type Options struct {
	// Disabled turns authentication off: every request is made by an
	// anonymous system admin. For trusted networks only.
	Disabled bool
	// Htpasswd, if set, is a read-only user source checked before the
	// store's local users.
	Htpasswd *password.Htpasswd
	// Limiter slows down password guessing; nil for a default one.
	Limiter *password.Limiter
	// Verifier checks bearer tokens; nil refuses them.
	Verifier *token.Verifier
	// CacheTTL is how long a verified basic credential is remembered, so
	// that clients sending basic auth on every request do not pay for a
	// password hash each time. Default 10s; negative disables the cache.
	CacheTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sessions verifies browser session cookies on /api/ and /c/ paths;
	// nil ignores them.
	Sessions *Sessions
}

// Authenticator establishes who is calling: anonymous, a user (local,
// htpasswd, or through a personal access token), a robot, or the bearer of
// a token from the token service. It is safe for concurrent use.
type Authenticator struct {
	store Store
	log   *slog.Logger
	opt   Options

	cacheKey []byte
	mu       sync.Mutex
	cache    map[[sha256.Size]byte]cached
	flight   singleflight.Group
	// tokens remembers verified bearer tokens until they expire: checking
	// an ES256 signature costs more than serving a manifest.
	tokens map[string]*token.Claims
}

type cached struct {
	caller  Caller
	expires time.Time
}

const maxCacheEntries = 4096

// New returns an Authenticator.
func New(store Store, log *slog.Logger, opt Options) *Authenticator {
	if opt.Limiter == nil {
		opt.Limiter = password.NewLimiter(password.LimiterOptions{})
	}
	if opt.CacheTTL == 0 {
		opt.CacheTTL = 10 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Authenticator{store: store, log: log, opt: opt, cacheKey: key, cache: map[[sha256.Size]byte]cached{}, tokens: map[string]*token.Claims{}}
}

// Disabled reports whether authentication is off.
func (a *Authenticator) Disabled() bool { return a.opt.Disabled }

// Middleware authenticates each request and stores the outcome in its
// context (CallerFrom, ErrorFrom). It never answers the request itself:
// the handlers know what a refusal looks like on their routes.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.Authenticate(r.Context(), r)
		ctx := WithCaller(r.Context(), c)
		if err != nil {
			ctx = WithError(r.Context(), err)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Authenticate reads the request's Authorization header, or without one a
// session cookie on /api/ and /c/ paths (see Sessions). No credentials give
// the anonymous caller; a header that is present but wrong is an error.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (Caller, error) {
	if a.opt.Disabled {
		return Caller{Principal: access.Principal{Kind: access.KindUser, Name: "anonymous-admin", SystemAdmin: true}, Method: MethodAuthOff}, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		if a.opt.Sessions != nil && SessionPath(r.URL.Path) {
			if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
				return a.sessionCaller(ctx, r, ck.Value)
			}
		}
		return Caller{Method: MethodNone}, nil
	}
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			return Caller{Method: MethodNone}, fmt.Errorf("%w: malformed basic credentials", ErrBadCredentials)
		}
		return a.Password(ctx, user, pass, httpx.ClientIP(r))
	case strings.EqualFold(scheme, "Bearer"):
		return a.bearer(ctx, strings.TrimSpace(cred))
	}
	return Caller{Method: MethodNone}, fmt.Errorf("%w: unsupported authorization scheme %q", ErrBadCredentials, scheme)
}

// bearer verifies a token from the token service. The caller is named by
// the token's subject; what it may do on /v2/ is the token's access claim.
func (a *Authenticator) bearer(_ context.Context, tok string) (Caller, error) {
	if a.opt.Verifier == nil {
		return Caller{Method: MethodNone}, fmt.Errorf("%w: bearer tokens are not accepted", token.ErrInvalidToken)
	}
	claims, err := a.verifyToken(tok)
	if err != nil {
		return Caller{Method: MethodNone}, err
	}
	p := access.Principal{Kind: access.KindAnonymous}
	switch {
	case strings.HasPrefix(claims.Subject, RobotPrefix):
		p = access.Principal{Kind: access.KindRobot, Name: claims.Subject, Level: access.RobotSystem}
	case claims.Subject != "":
		p = access.Principal{Kind: access.KindUser, Name: claims.Subject}
	}
	return Caller{Principal: p, Method: MethodBearer, Claims: claims}, nil
}

// verifyToken verifies tok, or finds it among the tokens verified before
// that have not expired yet.
func (a *Authenticator) verifyToken(tok string) (*token.Claims, error) {
	now := a.opt.Now()
	a.mu.Lock()
	c, ok := a.tokens[tok]
	a.mu.Unlock()
	if ok && now.Before(c.ExpiresAt) {
		return c, nil
	}
	c, err := a.opt.Verifier.Verify(tok)
	if err != nil {
		return nil, err
	}
	if a.opt.CacheTTL >= 0 {
		a.mu.Lock()
		if len(a.tokens) >= maxCacheEntries {
			clear(a.tokens)
		}
		a.tokens[tok] = c
		a.mu.Unlock()
	}
	return c, nil
}

// Password checks a username and a secret (a user's password, a robot's
// secret, or a user's personal access token), with failed-login rate
// limiting by (username, address) and by address, and returns the caller.
// Failures are audited as login_failed.
func (a *Authenticator) Password(ctx context.Context, username, secret, addr string) (Caller, error) {
	if username == "" || secret == "" || len(username) > 255 || len(secret) > password.MaxSecretLength {
		return Caller{Method: MethodNone}, ErrBadCredentials
	}
	key := a.credKey(username, secret)
	now := a.opt.Now()
	if c, ok := a.cached(key, now); ok {
		return c, nil
	}
	if wait, ok := a.opt.Limiter.Allow(username, addr); !ok {
		return Caller{Method: MethodNone}, &RateLimitError{RetryAfter: wait}
	}
	// Concurrent requests with the same credentials (a client's parallel
	// layer uploads) share one verification instead of each paying for a
	// password hash.
	v, err, _ := a.flight.Do(string(key[:]), func() (any, error) {
		c, err := a.check(context.WithoutCancel(ctx), username, secret, now)
		if err != nil {
			if errors.Is(err, ErrBadCredentials) {
				a.opt.Limiter.Failure(username, addr)
				a.auditFailure(ctx, username, addr, err)
			}
			return Caller{Method: MethodNone}, err
		}
		a.opt.Limiter.Success(username, addr)
		a.remember(key, c, now)
		return c, nil
	})
	return v.(Caller), err
}

func (a *Authenticator) auditFailure(ctx context.Context, username, addr string, cause error) {
	a.log.InfoContext(ctx, "login failed", "username", username, "remote", addr, "reason", cause)
	err := a.store.AppendAudit(context.WithoutCancel(ctx), meta.AuditEvent{
		OccurredAt: a.opt.Now(), Username: username, PrincipalKind: "anonymous",
		Operation: meta.OpLoginFailed, ResourceType: "user", Resource: username, RemoteAddr: addr,
	})
	if err != nil {
		a.log.ErrorContext(ctx, "audit failed login", "err", err)
	}
}

// check verifies the credentials without rate limiting or caching.
func (a *Authenticator) check(ctx context.Context, username, secret string, now time.Time) (Caller, error) {
	if strings.HasPrefix(username, RobotPrefix) {
		return a.robot(ctx, username, secret, now)
	}
	if IsAccessTokenSecret(secret) {
		if c, err := a.accessToken(ctx, username, secret, now); err == nil || !errors.Is(err, ErrBadCredentials) {
			return c, err
		}
		// Not a token of this user: it may still be a password.
	}
	if a.opt.Htpasswd != nil && a.opt.Htpasswd.Has(username) {
		if !a.opt.Htpasswd.Authenticate(username, secret) {
			return Caller{}, fmt.Errorf("%w: htpasswd password mismatch", ErrBadCredentials)
		}
		u, err := a.store.GetUserByName(ctx, username)
		switch {
		case errors.Is(err, meta.ErrNotFound):
			// An htpasswd user without a record: no memberships, no admin.
			return Caller{Principal: access.Principal{Kind: access.KindUser, Name: username}, Method: MethodBasic}, nil
		case err != nil:
			return Caller{}, err
		case u.Disabled:
			// Disabling the record locks the account out, as for local users.
			return Caller{}, fmt.Errorf("%w: user %s is disabled", ErrBadCredentials, username)
		}
		return a.userCaller(ctx, u)
	}
	u, err := a.store.GetUserByName(ctx, username)
	if errors.Is(err, meta.ErrNotFound) {
		// Spend the time a real check would, so the answer's timing does
		// not reveal which usernames exist.
		_, _ = password.Verify(dummyHash(), secret)
		return Caller{}, fmt.Errorf("%w: no such user", ErrBadCredentials)
	}
	if err != nil {
		return Caller{}, err
	}
	if u.Source != meta.SourceLocal || u.PasswordHash == "" {
		return Caller{}, fmt.Errorf("%w: user %s has no local password", ErrBadCredentials, username)
	}
	ok, err := password.Verify(u.PasswordHash, secret)
	if err != nil {
		return Caller{}, err
	}
	if !ok {
		return Caller{}, fmt.Errorf("%w: password mismatch", ErrBadCredentials)
	}
	if u.Disabled {
		return Caller{}, fmt.Errorf("%w: user %s is disabled", ErrBadCredentials, username)
	}
	_ = a.store.RecordLogin(context.WithoutCancel(ctx), u.ID, now)
	return a.userCaller(ctx, u)
}

var dummy = sync.OnceValue(func() string {
	h, _ := password.Hash(password.GenerateSecret())
	return h
})

func dummyHash() string { return dummy() }

func (a *Authenticator) accessToken(ctx context.Context, username, secret string, now time.Time) (Caller, error) {
	t, err := a.store.GetAccessTokenByHash(ctx, HashAccessToken(secret))
	if errors.Is(err, meta.ErrNotFound) {
		return Caller{}, fmt.Errorf("%w: unknown access token", ErrBadCredentials)
	}
	if err != nil {
		return Caller{}, err
	}
	u, err := a.store.GetUser(ctx, t.UserID)
	if err != nil {
		return Caller{}, fmt.Errorf("%w: access token owner: %v", ErrBadCredentials, err)
	}
	// The hash lookup already proved the secret; the name must match too.
	if !hmac.Equal([]byte(u.Username), []byte(username)) {
		return Caller{}, fmt.Errorf("%w: access token of another user", ErrBadCredentials)
	}
	if !t.Active(now) || u.Disabled {
		return Caller{}, fmt.Errorf("%w: access token revoked, expired or user disabled", ErrBadCredentials)
	}
	_ = a.store.TouchAccessToken(context.WithoutCancel(ctx), t.ID, now)
	return a.userCaller(ctx, u)
}

func (a *Authenticator) robot(ctx context.Context, name, secret string, now time.Time) (Caller, error) {
	rb, err := a.store.GetRobotByName(ctx, name)
	if errors.Is(err, meta.ErrNotFound) {
		_, _ = password.Verify(dummyHash(), secret)
		return Caller{}, fmt.Errorf("%w: no such robot", ErrBadCredentials)
	}
	if err != nil {
		return Caller{}, err
	}
	ok, err := password.Verify(rb.SecretHash, secret)
	if err != nil {
		return Caller{}, err
	}
	if !ok {
		return Caller{}, fmt.Errorf("%w: robot secret mismatch", ErrBadCredentials)
	}
	if rb.Disabled || (!rb.ExpiresAt.IsZero() && !now.Before(rb.ExpiresAt)) {
		return Caller{}, fmt.Errorf("%w: robot %s is disabled or expired", ErrBadCredentials, name)
	}
	return Caller{Principal: RobotPrincipal(rb), RobotID: rb.ID, Method: MethodBasic}, nil
}

// RobotPrincipal returns the access principal of a robot account.
func RobotPrincipal(rb meta.Robot) access.Principal {
	p := access.Principal{
		Kind: access.KindRobot, Name: rb.Name, Disabled: rb.Disabled, ExpiresAt: rb.ExpiresAt,
		Level: access.RobotLevel(rb.Level), Project: rb.ProjectName,
	}
	for _, perm := range rb.Permissions {
		rp := access.RobotPermission{Project: perm.Project}
		for _, act := range perm.Actions {
			rp.Actions = append(rp.Actions, access.Action(act))
		}
		p.Permissions = append(p.Permissions, rp)
	}
	return p
}

// userCaller builds the caller of a user record with their memberships.
func (a *Authenticator) userCaller(ctx context.Context, u meta.User) (Caller, error) {
	p, err := a.UserPrincipal(ctx, u)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Principal: p, UserID: u.ID, Method: MethodBasic}, nil
}

// UserPrincipal returns the access principal of a user: admin flag,
// disabled flag and the role in each project they are a member of.
func (a *Authenticator) UserPrincipal(ctx context.Context, u meta.User) (access.Principal, error) {
	ms, err := a.store.UserMemberships(ctx, u.ID)
	if err != nil {
		return access.Principal{}, fmt.Errorf("memberships of %s: %w", u.Username, err)
	}
	p := access.Principal{Kind: access.KindUser, Name: u.Username, SystemAdmin: u.Sysadmin, Disabled: u.Disabled}
	if len(ms) > 0 {
		p.Roles = make(map[string]access.Role, len(ms))
		for _, m := range ms {
			p.Roles[m.ProjectName] = access.MaxRole(p.Roles[m.ProjectName], access.Role(m.Role))
		}
	}
	return p, nil
}

// Subject returns the current caller for a token subject (a username or
// robot name), as a refresh token exchange needs: the account must still
// exist and be enabled, and its permissions are read afresh.
func (a *Authenticator) Subject(ctx context.Context, name string) (Caller, error) {
	now := a.opt.Now()
	if strings.HasPrefix(name, RobotPrefix) {
		rb, err := a.store.GetRobotByName(ctx, name)
		if err != nil {
			return Caller{}, fmt.Errorf("%w: %v", ErrBadCredentials, err)
		}
		if rb.Disabled || (!rb.ExpiresAt.IsZero() && !now.Before(rb.ExpiresAt)) {
			return Caller{}, fmt.Errorf("%w: robot disabled or expired", ErrBadCredentials)
		}
		return Caller{Principal: RobotPrincipal(rb), RobotID: rb.ID, Method: MethodBearer}, nil
	}
	u, err := a.store.GetUserByName(ctx, name)
	switch {
	case errors.Is(err, meta.ErrNotFound) && a.opt.Htpasswd != nil && a.opt.Htpasswd.Has(name):
		return Caller{Principal: access.Principal{Kind: access.KindUser, Name: name}, Method: MethodBearer}, nil
	case err != nil:
		return Caller{}, fmt.Errorf("%w: %v", ErrBadCredentials, err)
	case u.Disabled:
		return Caller{}, fmt.Errorf("%w: user disabled", ErrBadCredentials)
	}
	c, err := a.userCaller(ctx, u)
	c.Method = MethodBearer
	return c, err
}

func (a *Authenticator) credKey(username, secret string) [sha256.Size]byte {
	m := hmac.New(sha256.New, a.cacheKey)
	m.Write([]byte(username))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	var k [sha256.Size]byte
	copy(k[:], m.Sum(nil))
	return k
}

func (a *Authenticator) cached(key [sha256.Size]byte, now time.Time) (Caller, bool) {
	if a.opt.CacheTTL < 0 {
		return Caller{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.cache[key]
	if !ok || !now.Before(e.expires) {
		return Caller{}, false
	}
	return e.caller, true
}

// Forget drops every remembered credential, so that a changed password,
// secret, role or membership takes effect on the next request. The API
// calls it after every identity change; other replicas forget within
// CacheTTL.
func (a *Authenticator) Forget() {
	a.mu.Lock()
	clear(a.cache)
	clear(a.tokens)
	a.mu.Unlock()
}

func (a *Authenticator) remember(key [sha256.Size]byte, c Caller, now time.Time) {
	if a.opt.CacheTTL < 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= maxCacheEntries {
		clear(a.cache)
	}
	a.cache[key] = cached{caller: c, expires: now.Add(a.opt.CacheTTL)}
}
