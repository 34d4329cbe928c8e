// Package api serves Berth's management REST API under /api/v2.0/. Its
// paths, query parameters (page, page_size, q, sort) and JSON shapes follow
// Harbor's v2.0 API for the resources Berth has, so that tooling written for
// Harbor works against Berth. Every route authorizes through
// access.Evaluator; the caller comes from auth.CallerFrom (the
// authentication middleware runs before this handler). The OpenAPI document
// describing these routes is served at /api/v2.0/openapi.json and a test
// keeps it in step with the routes.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/httpx"
	"github.com/berth-oci/berth/internal/meta"
)

// Prefix is the path every route of this package lives under.
const Prefix = "/api/v2.0"

// Store is the metadata the API reads and writes.
type Store interface {
	meta.Projects
	meta.Users
	meta.Members
	meta.Robots
	meta.AccessTokens
	meta.Audit
	meta.Stats
	meta.Manifests
	meta.Blobs
	meta.Repositories
	meta.Artifacts
	meta.GC
	meta.ImmutableRules
	meta.TagHistory
	Ping(ctx context.Context) error
}

// Options are the settings the API honours.
type Options struct {
	// SelfRegistration lets anonymous callers create (non-admin) local
	// users with POST /users.
	SelfRegistration bool
	// AuthMode is reported by /systeminfo ("db_auth").
	AuthMode string
	// RegistryURL is the registry's external host[:port] for pull commands
	// and /systeminfo; "" uses the request's Host.
	RegistryURL string
	// Version is Berth's version, for /systeminfo.
	Version string
	// TagHistoryWindow is how far back a tag's history is shown and can be
	// restored (registry.tag_history_window); 0 means 14 days.
	TagHistoryWindow time.Duration
}

// Deps are the API's collaborators.
type Deps struct {
	Store  Store
	Access *access.Evaluator
	Log    *slog.Logger
	// Blobs reads image configs for artifact details and build history;
	// nil leaves those out.
	Blobs BlobReader
	// Now is the clock; default time.Now.
	Now func() time.Time
	// IdentityChanged, if set, is called after a user, member, robot or
	// access token changed, so that caches of verified credentials and
	// roles are dropped at once.
	IdentityChanged func()
	// ProjectChanged, if set, is called with a project's name after it was
	// created, changed or deleted.
	ProjectChanged func(name string)
	// GC runs garbage collections; nil leaves starting and scheduling runs
	// out (503).
	GC GCService
}

// API is the /api/v2.0/ handler.
type API struct {
	store Store
	blobs BlobReader
	eval  *access.Evaluator
	log   *slog.Logger
	now   func() time.Time
	opt   Options
	hooks Deps
	mux   *http.ServeMux
	// routes lists the registered "METHOD /path" patterns (without the
	// prefix), for the OpenAPI consistency test.
	routes []string
	// openapiDoc is the merged OpenAPI document (JSON), or openapiErr why
	// the embedded fragments do not merge.
	openapiDoc []byte
	openapiErr error
}

// New returns the API handler.
func New(d Deps, opt Options) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Access == nil {
		d.Access = access.New(access.Options{})
	}
	a := &API{store: d.Store, blobs: d.Blobs, eval: d.Access, log: d.Log, now: d.Now, opt: opt, hooks: d, mux: http.NewServeMux()}
	a.handle("GET /openapi.json", "openapi", a.openapi)
	a.contentRoutes()
	a.identityRoutes()
	a.gcRoutes()
	if a.openapiDoc, a.openapiErr = buildOpenAPI(openapiFS); a.openapiErr != nil {
		a.log.Error("api: OpenAPI document", "err", a.openapiErr)
	}
	return a
}

// handleFunc is the shape of every route handler: it writes the success
// response itself and returns an error (an *Error, or anything else for a
// 500) for the API to render.
type handleFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers fn for pattern ("METHOD /path/{wildcard}", relative to
// Prefix) under the metrics route name "api_"+name.
func (a *API) handle(pattern, name string, fn handleFunc) {
	method, path, _ := cutPattern(pattern)
	a.routes = append(a.routes, method+" "+path)
	a.mux.HandleFunc(method+" "+Prefix+path, func(w http.ResponseWriter, r *http.Request) {
		httpx.SetRoute(r.Context(), "api_"+name)
		// The store records who moves or deletes a tag in its history.
		r = r.WithContext(meta.WithActor(r.Context(), caller(r).Principal.Name))
		if err := fn(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

func cutPattern(p string) (method, path string, ok bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[:i], p[i+1:], true
		}
	}
	return "", p, false
}

// Routes returns the registered routes as "METHOD /path" relative to
// Prefix, in registration order.
func (a *API) Routes() []string { return append([]string(nil), a.routes...) }

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := auth.ErrorFrom(r.Context()); err != nil {
		httpx.SetRoute(r.Context(), "api_unauthorized")
		var rl *auth.RateLimitError
		if errors.As(err, &rl) {
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
			a.writeError(w, r, newError(http.StatusTooManyRequests, CodeTooManyRequests, "too many failed logins; retry later"))
			return
		}
		// The cause stays in the server's log: telling "no such user" from
		// "wrong password" would let callers probe for usernames.
		a.log.InfoContext(r.Context(), "api: credentials refused", "err", err)
		a.writeError(w, r, newError(http.StatusUnauthorized, CodeUnauthorized, "invalid credentials"))
		return
	}
	if caller(r).Method == auth.MethodBearer {
		// Registry tokens carry repository scopes, not the caller's
		// roles: the management API takes credentials or a session.
		httpx.SetRoute(r.Context(), "api_unauthorized")
		a.writeError(w, r, newError(http.StatusUnauthorized, CodeUnauthorized, "registry bearer tokens are not accepted here: use basic auth (password, robot secret or access token)"))
		return
	}
	h, pattern := a.mux.Handler(r)
	if pattern == "" {
		httpx.SetRoute(r.Context(), "api_unknown")
		// The mux answers 404 or 405 (with Allow); render them in Harbor's shape.
		rec := &statusProbe{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			a.writeError(w, r, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		a.writeError(w, r, newError(http.StatusNotFound, CodeNotFound, "no such API endpoint %s", r.URL.Path))
		return
	}
	a.mux.ServeHTTP(w, r)
}

// statusProbe captures what the mux's own 404/405 handler would write.
type statusProbe struct {
	header http.Header
	status int
}

func (s *statusProbe) Header() http.Header         { return s.header }
func (s *statusProbe) Write(p []byte) (int, error) { return len(p), nil }
func (s *statusProbe) WriteHeader(code int)        { s.status = code }

// caller returns the request's caller.
func caller(r *http.Request) auth.Caller { return auth.CallerFrom(r.Context()) }

// authorize returns nil if the caller may perform act on res, else the
// error to answer: 401 for anonymous callers (they may log in), 403 for
// authenticated ones.
func (a *API) authorize(r *http.Request, act access.Action, res access.Resource) error {
	c := caller(r)
	if a.eval.Allowed(c.Principal, act, res, a.now()) {
		return nil
	}
	if c.Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	return newError(http.StatusForbidden, CodeForbidden, "%s may not %s here", c.Principal.Name, act)
}

// audit appends an audit event for the request's caller; failures are
// logged, never returned: the change it records has already happened.
// Every change the API makes is audited, so this is also where caches of
// identities and projects hear of changes.
func (a *API) audit(r *http.Request, ev meta.AuditEvent) {
	switch ev.ResourceType {
	case "user", "member", "robot", "token":
		if a.hooks.IdentityChanged != nil {
			a.hooks.IdentityChanged()
		}
	case "project":
		if a.hooks.ProjectChanged != nil {
			a.hooks.ProjectChanged(ev.Resource)
		}
	}
	c := caller(r)
	ev.Username = c.Principal.Name
	ev.PrincipalKind = c.Kind()
	ev.RemoteAddr = httpx.ClientIP(r)
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = a.now()
	}
	if err := a.store.AppendAudit(context.WithoutCancel(r.Context()), ev); err != nil {
		a.log.ErrorContext(r.Context(), "append audit event", "operation", ev.Operation, "err", err)
	}
}
