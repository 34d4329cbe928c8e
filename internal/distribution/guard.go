package distribution

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/berth-oci/berth/internal/project"
)

// Projects answers whether a project exists and is public, and creates
// projects on first push where that is allowed.
type Projects interface {
	Lookup(ctx context.Context, name string) (project.Info, error)
	Ensure(ctx context.Context, name string) (project.Info, error)
}

// Subjects resolves a token subject to its current principal (for the
// catalog, which a bearer token grants as a whole but which is filtered by
// what the subject may pull).
type Subjects interface {
	Subject(ctx context.Context, name string) (auth.Caller, error)
}

// Challenge kinds for 401 answers.
const (
	ChallengeBearer = "bearer"
	ChallengeBasic  = "basic"
)

// GuardOptions configure a Guard.
type GuardOptions struct {
	// Challenge is ChallengeBearer (default: clients get tokens from the
	// token service) or ChallengeBasic (clients send basic auth on /v2/).
	// Basic credentials on /v2/ are accepted either way.
	Challenge string
	// Realm is the token service URL in the challenge; "" derives it from
	// the request (scheme and Host + auth.TokenPath).
	Realm string
	// Service is the challenge's service parameter.
	Service string
	// AutoCreateProjects creates a missing project on first push by a
	// caller who may push there, instead of refusing the push.
	AutoCreateProjects bool
}

// Guard authorizes /v2/ requests: one decision per request through the
// access evaluator (or the bearer token's access claim), project existence
// checks on push, and the 401 challenge clients need to log in.
type Guard struct {
	eval     *access.Evaluator
	projects Projects
	subjects Subjects
	log      *slog.Logger
	opt      GuardOptions
	now      func() time.Time
}

// NewGuard returns a Guard.
func NewGuard(eval *access.Evaluator, projects Projects, subjects Subjects, log *slog.Logger, opt GuardOptions) *Guard {
	if opt.Challenge == "" {
		opt.Challenge = ChallengeBearer
	}
	if opt.Service == "" {
		opt.Service = "berth"
	}
	return &Guard{eval: eval, projects: projects, subjects: subjects, log: log, opt: opt, now: time.Now}
}

// need returns the action a route needs, "" for the base route.
func need(kind, method string) access.Action {
	switch kind {
	case "base":
		return ""
	case "catalog":
		return access.ActionCatalog
	case "uploads", "upload":
		return access.ActionPush
	case "manifest":
		switch method {
		case http.MethodPut:
			return access.ActionPush
		case http.MethodDelete:
			return access.ActionDelete
		}
	case "blob":
		if method == http.MethodDelete {
			return access.ActionDelete
		}
	}
	return access.ActionPull
}

// check decides a request; a nil error lets it through.
func (g *Guard) check(w http.ResponseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	if err := auth.ErrorFrom(ctx); err != nil {
		return g.refuseCredentials(w, r, err)
	}
	c := auth.CallerFrom(ctx)
	if c.Method == auth.MethodAuthOff {
		return nil
	}
	act := need(rt.kind, r.Method)
	switch act {
	case "":
		if c.Anonymous() {
			return g.challenge(w, r, nil, "")
		}
		return nil
	case access.ActionCatalog:
		ok := g.eval.Allowed(c.Principal, act, access.Resource{}, g.now())
		if c.Claims != nil {
			ok = c.Claims.Allows(access.ScopeRegistry, access.ScopeCatalog, access.ScopeAll)
		}
		if ok {
			return nil
		}
		return g.deny(w, r, c, []string{"registry:catalog:*"}, "catalog")
	}
	proj := access.ProjectOf(rt.name)
	var info project.Info
	if proj != "" {
		var err error
		if info, err = g.projects.Lookup(ctx, proj); err != nil {
			return err
		}
	}
	if !g.allows(c, rt.name, act, info) {
		scope := "repository:" + rt.name + ":" + string(act)
		if act == access.ActionPush {
			scope = "repository:" + rt.name + ":pull,push"
		}
		return g.deny(w, r, c, []string{scope}, string(act)+" on "+rt.name)
	}
	if proj == "" {
		return oci.CodeNameUnknown.WithMessage("repository %q is not in a project: name it <project>/<repository>", rt.name)
	}
	if act == access.ActionPush && !info.Exists {
		if !g.opt.AutoCreateProjects {
			return oci.CodeNameUnknown.WithMessage("project %q does not exist: create it first (or enable auth.auto_create_projects)", proj)
		}
		if _, err := g.projects.Ensure(ctx, proj); err != nil {
			return err
		}
		g.log.InfoContext(ctx, "project created on first push", "project", proj, "by", c.Principal.Name)
	}
	return nil
}

// allows reports whether c may perform act on repository name in a project
// described by info. Bearer callers are held to their token's access claim.
func (g *Guard) allows(c auth.Caller, name string, act access.Action, info project.Info) bool {
	if c.Claims != nil {
		return c.Claims.Allows(access.ScopeRepository, name, string(act))
	}
	if access.ProjectOf(name) == "" {
		return false
	}
	if !info.Exists && act != access.ActionPush {
		// Nothing to read or delete; only admins learn that, others are
		// answered as if it were private.
		return c.Principal.IsSystemAdmin(g.now())
	}
	return g.eval.Allowed(c.Principal, act, access.ForRepository(name, info.Public), g.now())
}

// Allows reports whether the request's caller may perform act on
// repository name: the source side of a cross-repository mount uses it.
func (g *Guard) Allows(ctx context.Context, name string, act access.Action) bool {
	c := auth.CallerFrom(ctx)
	if c.Method == auth.MethodAuthOff {
		return true
	}
	proj := access.ProjectOf(name)
	if proj == "" {
		return false
	}
	info, err := g.projects.Lookup(ctx, proj)
	if err != nil {
		g.log.ErrorContext(ctx, "project lookup", "project", proj, "err", err)
		return false
	}
	return g.allows(c, name, act, info)
}

// Pullable returns a filter for catalog entries: the repositories the
// request's caller may pull. For a bearer caller it is the token subject's
// current permissions.
func (g *Guard) Pullable(ctx context.Context) (func(repo string) (bool, error), error) {
	c := auth.CallerFrom(ctx)
	if c.Method == auth.MethodAuthOff {
		return func(string) (bool, error) { return true, nil }, nil
	}
	p := c.Principal
	if c.Claims != nil {
		if c.Claims.Subject == "" {
			return func(string) (bool, error) { return false, nil }, nil
		}
		sc, err := g.subjects.Subject(ctx, c.Claims.Subject)
		if err != nil {
			return func(string) (bool, error) { return false, nil }, nil
		}
		p = sc.Principal
	}
	now := g.now()
	return func(repo string) (bool, error) {
		proj := access.ProjectOf(repo)
		if proj == "" {
			return p.IsSystemAdmin(now), nil
		}
		info, err := g.projects.Lookup(ctx, proj)
		if err != nil {
			return false, err
		}
		return g.eval.Allowed(p, access.ActionPull, access.ForRepository(repo, info.Public), now), nil
	}, nil
}

// deny answers a request the caller may not make: 401 with a challenge for
// anonymous and bearer callers (a new token may help), 403 otherwise.
func (g *Guard) deny(w http.ResponseWriter, r *http.Request, c auth.Caller, scopes []string, what string) error {
	if c.Anonymous() {
		return g.challenge(w, r, scopes, "")
	}
	if c.Method == auth.MethodBearer {
		return g.challenge(w, r, scopes, "insufficient_scope")
	}
	return oci.CodeDenied.WithMessage("%s may not %s", c.Principal.Name, what)
}

// refuseCredentials answers a request whose credentials were refused.
func (g *Guard) refuseCredentials(w http.ResponseWriter, r *http.Request, err error) error {
	var rl *auth.RateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		return oci.CodeTooManyRequests.WithMessage("too many failed logins; retry later")
	}
	code := ""
	msg := "incorrect username or password"
	if errors.Is(err, token.ErrInvalidToken) {
		code, msg = "invalid_token", "invalid or expired token"
	} else if !errors.Is(err, auth.ErrBadCredentials) {
		return err
	}
	g.setChallenge(w, r, nil, code)
	return oci.CodeUnauthorized.WithMessage("%s", msg)
}

// challenge answers 401 UNAUTHORIZED with the WWW-Authenticate header.
func (g *Guard) challenge(w http.ResponseWriter, r *http.Request, scopes []string, code string) error {
	g.setChallenge(w, r, scopes, code)
	return oci.CodeUnauthorized.WithDetail(challengeDetail(scopes))
}

func challengeDetail(scopes []string) any {
	if len(scopes) == 0 {
		return nil
	}
	var d []map[string]string
	for _, s := range scopes {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) == 3 {
			d = append(d, map[string]string{"Type": parts[0], "Name": parts[1], "Action": parts[2]})
		}
	}
	return d
}

func (g *Guard) setChallenge(w http.ResponseWriter, r *http.Request, scopes []string, code string) {
	if g.opt.Challenge == ChallengeBasic {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+g.opt.Service+`"`)
		return
	}
	w.Header().Set("WWW-Authenticate", token.ChallengeError(g.realm(r), g.opt.Service, scopes, code))
}

// realm is the configured token URL, or this server's own.
func (g *Guard) realm(r *http.Request) string {
	if g.opt.Realm != "" {
		return g.opt.Realm
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + auth.TokenPath
}
