package auth_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a real SQLite metadata store in a temporary directory with a test
// clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	store *sqlstore.Store
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, sqlstore.DriverSQLite, filepath.Join(t.TempDir(), "berth.db"), testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &env{t: t, ctx: ctx, store: s, clock: &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// authn returns an Authenticator over the store on the test clock, with a
// limiter on the same clock and the credential cache off unless edit turns
// it on.
func (e *env) authn(edit func(*auth.Options)) *auth.Authenticator {
	opt := auth.Options{
		CacheTTL: -1,
		Now:      e.clock.Now,
		Limiter:  password.NewLimiter(password.LimiterOptions{Now: e.clock.Now}),
	}
	if edit != nil {
		edit(&opt)
	}
	return auth.New(e.store, testLog(e.t), opt)
}

// hashes memoizes password.Hash by secret: argon2id is slow under the race
// detector, and a salted hash is as good in one test database as another.
var hashes sync.Map

func (e *env) hash(secret string) string {
	e.t.Helper()
	if h, ok := hashes.Load(secret); ok {
		return h.(string)
	}
	h, err := password.Hash(secret)
	if err != nil {
		e.t.Fatal(err)
	}
	hashes.Store(secret, h)
	return h
}

func (e *env) user(name, pass string, edit func(*meta.User)) meta.User {
	e.t.Helper()
	u := meta.User{Username: name, Source: meta.SourceLocal}
	if pass != "" {
		u.PasswordHash = e.hash(pass)
	}
	if edit != nil {
		edit(&u)
	}
	u, err := e.store.CreateUser(e.ctx, u)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) project(name string, public bool) meta.Project {
	e.t.Helper()
	p, err := e.store.CreateProject(e.ctx, meta.Project{Name: name, Public: public})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) member(p meta.Project, u meta.User, role meta.Role) {
	e.t.Helper()
	if _, err := e.store.AddMember(e.ctx, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: role}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) robot(name, secret string, edit func(*meta.Robot)) meta.Robot {
	e.t.Helper()
	r := meta.Robot{Name: name, Level: meta.RobotSystem, SecretHash: e.hash(secret)}
	if edit != nil {
		edit(&r)
	}
	r, err := e.store.CreateRobot(e.ctx, r)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// pat stores a personal access token of u and returns its secret.
func (e *env) pat(u meta.User, name string, edit func(*meta.AccessToken)) (string, meta.AccessToken) {
	e.t.Helper()
	secret := auth.NewAccessTokenSecret()
	at := meta.AccessToken{UserID: u.ID, Name: name, TokenHash: auth.HashAccessToken(secret)}
	if edit != nil {
		edit(&at)
	}
	at, err := e.store.CreateAccessToken(e.ctx, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret, at
}

// htpasswd writes an htpasswd file of bcrypt entries and opens it.
func (e *env) htpasswd(users map[string]string) *password.Htpasswd {
	e.t.Helper()
	var b []byte
	for name, pass := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
		if err != nil {
			e.t.Fatal(err)
		}
		b = fmt.Appendf(b, "%s:%s\n", name, h)
	}
	path := filepath.Join(e.t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
	h, err := password.OpenHtpasswd(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *env) audit(op string) []meta.AuditEvent {
	e.t.Helper()
	evs, err := e.store.ListAudit(e.ctx, meta.AuditFilter{Operation: op}, meta.Window{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}
