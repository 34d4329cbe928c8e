package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

// Browser sessions. A session is a signed, stateless cookie: the HMAC key
// is a file (by default beside the token signing keys, which replicas
// already share), so any replica verifies any session without a database
// round trip for the session itself. The cookie names the user and a
// fingerprint of their password hash; each request re-reads the user, so a
// disabled user, a deleted user or a changed password ends every session at
// once. Logging out clears the cookie in the browser; a copied cookie stays
// valid until it expires (HttpOnly keeps scripts from reading it, and
// deleting the key file ends every session).

// MethodSession is a browser session cookie (see Sessions).
const MethodSession Method = "session"

// Names of the session cookie and of the header carrying the CSRF token
// (Harbor's header name, so Harbor-minded tooling recognises it).
const (
	SessionCookie = "berth_session"
	CSRFHeader    = "X-Harbor-CSRF-Token"
)

// DefaultSessionTTL is how long a session lasts after login.
const DefaultSessionTTL = 12 * time.Hour

// Session errors. ErrCSRF wraps ErrBadCredentials: the API answers 401.
var (
	// ErrSession: the cookie is malformed, forged or expired.
	ErrSession = errors.New("invalid or expired session")
	// ErrCSRF: a state-changing request made with a session cookie lacks
	// the session's CSRF token.
	ErrCSRF = fmt.Errorf("%w: missing or wrong %s header", ErrBadCredentials, CSRFHeader)
)

// Session is the content of a session cookie.
type Session struct {
	Username string    `json:"u"`
	UserID   int64     `json:"i,omitempty"`
	Password string    `json:"p,omitempty"` // fingerprint of the password hash
	ID       string    `json:"s"`           // random, names the session (CSRF token input)
	Expires  time.Time `json:"e"`
}

// Sessions issues and verifies session cookies. It is safe for concurrent
// use.
type Sessions struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// LoadOrCreateSessionKey returns Sessions signing with the 32-byte key in
// file, creating the file (mode 0600, directory 0700) with a random key if
// it does not exist. ttl <= 0 means DefaultSessionTTL.
func LoadOrCreateSessionKey(file string, ttl time.Duration) (*Sessions, error) {
	key, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return nil, fmt.Errorf("session key: %w", err)
		}
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, key, 0o600); err != nil {
			return nil, fmt.Errorf("session key: %w", err)
		}
		// Link, not rename: when replicas race, the first key wins and the
		// others read it.
		if err := os.Link(tmp, file); err != nil && !errors.Is(err, os.ErrExist) {
			_ = os.Remove(tmp)
			return nil, fmt.Errorf("session key: %w", err)
		}
		_ = os.Remove(tmp)
		key, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("session key %s: %d bytes, want at least 32", file, len(key))
	}
	return NewSessions(key, ttl), nil
}

// NewSessions returns Sessions signing with key (at least 32 random bytes).
func NewSessions(key []byte, ttl time.Duration) *Sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &Sessions{key: append([]byte(nil), key...), ttl: ttl, now: time.Now}
}

// TTL is how long a new session lasts.
func (s *Sessions) TTL() time.Duration { return s.ttl }

func (s *Sessions) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// passwordPrint is a short keyed fingerprint of a password hash: changing
// the password changes it.
func (s *Sessions) passwordPrint(hash string) string {
	if hash == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(s.mac("password", hash)[:12])
}

// Issue returns a new session for u (for an htpasswd user without a record,
// a zero User with only Username set) and its cookie value.
func (s *Sessions) Issue(u meta.User) (Session, string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return Session{}, "", err
	}
	sess := Session{Username: u.Username, UserID: u.ID, Password: s.passwordPrint(u.PasswordHash),
		ID: base64.RawURLEncoding.EncodeToString(id), Expires: s.now().Add(s.ttl).UTC().Truncate(time.Second)}
	body, err := json.Marshal(sess)
	if err != nil {
		return Session{}, "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	return sess, payload + "." + base64.RawURLEncoding.EncodeToString(s.mac("session", payload)), nil
}

// Parse verifies a cookie value and returns its session. It returns
// ErrSession if the value is malformed, not signed by this key, or expired.
func (s *Sessions) Parse(value string) (Session, error) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > 4096 {
		return Session{}, ErrSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", payload)) {
		return Session{}, ErrSession
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Session{}, ErrSession
	}
	var sess Session
	if err := json.Unmarshal(body, &sess); err != nil || sess.Username == "" || sess.ID == "" {
		return Session{}, ErrSession
	}
	if !s.now().Before(sess.Expires) {
		return Session{}, fmt.Errorf("%w: expired at %s", ErrSession, sess.Expires.Format(time.RFC3339))
	}
	return sess, nil
}

// CSRFToken returns the CSRF token of a session: requests that change
// state with the session cookie must send it in the CSRFHeader header. It
// is derived from the session, so nothing needs storing; a page from
// another origin can neither read it nor the cookie it is bound to.
func (s *Sessions) CSRFToken(sess Session) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", sess.ID))
}

// Cookie returns the session cookie carrying value; secure marks it
// Secure (set it when the request came over TLS).
func (s *Sessions) Cookie(value string, expires time.Time, secure bool) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// ClearCookie returns the cookie that deletes the session cookie.
func (s *Sessions) ClearCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// SessionPath reports whether a session cookie counts on path: the
// management API and the UI's own endpoints, never /v2/ or the token
// service, whose clients are not browsers.
func SessionPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/c/")
}

// safeMethod reports whether m cannot change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sessionCaller authenticates a request by its session cookie. A cookie
// that does not verify, has expired or belongs to a user who is gone,
// disabled or has changed password is ignored (the caller is anonymous and
// the UI asks them to log in); a valid one on a state-changing request
// without the CSRF token is ErrCSRF.
func (a *Authenticator) sessionCaller(ctx context.Context, r *http.Request, value string) (Caller, error) {
	sess, err := a.opt.Sessions.Parse(value)
	if err != nil {
		return Caller{Method: MethodNone}, nil
	}
	if !safeMethod(r.Method) && !hmac.Equal([]byte(r.Header.Get(CSRFHeader)), []byte(a.opt.Sessions.CSRFToken(sess))) {
		return Caller{Method: MethodNone}, ErrCSRF
	}
	c, err := a.SessionUser(ctx, sess)
	if err != nil {
		a.log.DebugContext(ctx, "session refused", "username", sess.Username, "err", err)
		return Caller{Method: MethodNone}, nil
	}
	return c, nil
}

// SessionUser returns the caller a verified session stands for, reading
// the user afresh; ErrSession if the user is gone, disabled, or changed
// their password since the session began.
func (a *Authenticator) SessionUser(ctx context.Context, sess Session) (Caller, error) {
	if sess.UserID == 0 {
		// An htpasswd user without a store record.
		if a.opt.Htpasswd == nil || !a.opt.Htpasswd.Has(sess.Username) {
			return Caller{}, ErrSession
		}
		if _, err := a.store.GetUserByName(ctx, sess.Username); !errors.Is(err, meta.ErrNotFound) {
			return Caller{}, ErrSession
		}
		c, err := a.Subject(ctx, sess.Username)
		c.Method = MethodSession
		return c, err
	}
	u, err := a.store.GetUser(ctx, sess.UserID)
	if err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return Caller{}, ErrSession
		}
		return Caller{}, err
	}
	if u.Username != sess.Username || u.Disabled || a.opt.Sessions.passwordPrint(u.PasswordHash) != sess.Password {
		return Caller{}, ErrSession
	}
	c, err := a.userCaller(ctx, u)
	c.Method = MethodSession
	return c, err
}

// Sessions returns the session issuer, nil when sessions are off.
func (a *Authenticator) Sessions() *Sessions { return a.opt.Sessions }

// ErrNotAUser: robot accounts cannot open browser sessions.
var ErrNotAUser = fmt.Errorf("%w: robot accounts cannot log in to the web UI", ErrBadCredentials)

// Login checks a user's username and password with Password (so failures
// are rate-limited and audited), opens a session and audits the login. It
// returns the caller, the session and the cookie value. Robots are refused
// with ErrNotAUser.
func (a *Authenticator) Login(ctx context.Context, username, secret, addr string) (Caller, Session, string, error) {
	if a.opt.Sessions == nil {
		return Caller{}, Session{}, "", errors.New("sessions are not configured")
	}
	if strings.HasPrefix(username, RobotPrefix) {
		return Caller{}, Session{}, "", ErrNotAUser
	}
	c, err := a.Password(ctx, username, secret, addr)
	if err != nil {
		return Caller{}, Session{}, "", err
	}
	u := meta.User{Username: c.Principal.Name}
	if c.UserID != 0 {
		if u, err = a.store.GetUser(ctx, c.UserID); err != nil {
			return Caller{}, Session{}, "", fmt.Errorf("login %s: %w", username, err)
		}
	}
	sess, value, err := a.opt.Sessions.Issue(u)
	if err != nil {
		return Caller{}, Session{}, "", err
	}
	c.Method = MethodSession
	err = a.store.AppendAudit(context.WithoutCancel(ctx), meta.AuditEvent{
		OccurredAt: a.opt.Now(), Username: u.Username, PrincipalKind: c.Kind(), Operation: meta.OpLogin,
		ResourceType: "user", Resource: u.Username, RemoteAddr: addr, Detail: map[string]string{"via": "web"},
	})
	if err != nil {
		a.log.ErrorContext(ctx, "audit login", "err", err)
	}
	return c, sess, value, nil
}

// WithClock returns a copy of s reading time from now (for tests).
func (s *Sessions) WithClock(now func() time.Time) *Sessions {
	c := *s
	c.now = now
	return &c
}
