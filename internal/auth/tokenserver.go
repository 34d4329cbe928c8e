package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/httpx"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/project"
)

// TokenPath is where the token service listens.
const TokenPath = "/service/token"

// Projects tells the token service whether a repository's project exists
// and is public.
type Projects interface {
	Lookup(ctx context.Context, name string) (project.Info, error)
}

// TokenServer is the Docker Registry token service (GET, with basic auth or
// anonymous) and its OAuth2 variant (POST, password and refresh_token
// grants). The access claim of each token is what was asked for
// intersected with what the caller may do (access.Evaluator.Grant).
type TokenServer struct {
	authn    *Authenticator
	eval     *access.Evaluator
	issuer   *token.Issuer
	verifier *token.Verifier
	projects Projects
	service  string
	log      *slog.Logger
	now      func() time.Time
}

// NewTokenServer returns the token service for service (the aud of its
// tokens and the service parameter clients send).
func NewTokenServer(authn *Authenticator, eval *access.Evaluator, issuer *token.Issuer, verifier *token.Verifier, projects Projects, service string, log *slog.Logger) *TokenServer {
	return &TokenServer{authn: authn, eval: eval, issuer: issuer, verifier: verifier, projects: projects, service: service, log: log, now: time.Now}
}

// maxTokenForm bounds the POST body.
const maxTokenForm = 64 << 10

// ServeHTTP implements http.Handler.
func (t *TokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodGet:
		httpx.SetRoute(r.Context(), "token_get")
		t.get(w, r)
	case http.MethodPost:
		httpx.SetRoute(r.Context(), "token_post")
		t.post(w, r)
	default:
		httpx.SetRoute(r.Context(), "token_other")
		w.Header().Set("Allow", "GET, POST")
		writeTokenError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET or POST")
	}
}

// get serves the token spec's GET: scope repeated, optional basic auth,
// offline_token=true for a refresh token.
func (t *TokenServer) get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s := q.Get("service"); s != "" && s != t.service {
		writeTokenError(w, http.StatusBadRequest, "DENIED", fmt.Sprintf("unknown service %q (this is %q)", s, t.service))
		return
	}
	scopes, err := access.ParseScopes(q["scope"])
	if err != nil {
		writeTokenError(w, http.StatusBadRequest, "DENIED", err.Error())
		return
	}
	c := Caller{Method: MethodNone}
	if r.Header.Get("Authorization") != "" {
		user, pass, ok := r.BasicAuth()
		if !ok {
			t.unauthorized(w, ErrBadCredentials)
			return
		}
		if c, err = t.authn.Password(r.Context(), user, pass, httpx.ClientIP(r)); err != nil {
			t.unauthorized(w, err)
			return
		}
	} else if t.authn.Disabled() {
		c, _ = t.authn.Authenticate(r.Context(), r)
	}
	offline := q.Get("offline_token") == "true"
	t.issue(w, r, c, scopes, offline, q.Get("client_id"), "")
}

// post serves the OAuth2 token endpoint (oauth.md): grant_type password or
// refresh_token, client_id, access_type=offline, scope space-separated.
func (t *TokenServer) post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	f := r.PostForm
	if s := f.Get("service"); s != "" && s != t.service {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("unknown service %q", s))
		return
	}
	if f.Get("client_id") == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id is required")
		return
	}
	scopes, err := access.ParseScopes(f["scope"])
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", err.Error())
		return
	}
	var (
		c       Caller
		refresh string
		offline = f.Get("access_type") == "offline"
	)
	switch f.Get("grant_type") {
	case "password":
		c, err = t.authn.Password(r.Context(), f.Get("username"), f.Get("password"), httpx.ClientIP(r))
	case "refresh_token":
		refresh = f.Get("refresh_token")
		var claims *token.Claims
		if claims, err = t.verifier.VerifyRefresh(refresh); err == nil {
			c, err = t.authn.Subject(r.Context(), claims.Subject)
		}
		offline = false // the same refresh token is handed back
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be password or refresh_token")
		return
	}
	if err != nil {
		var rl *RateLimitError
		switch {
		case errors.As(err, &rl):
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
			writeOAuthError(w, http.StatusTooManyRequests, "invalid_grant", err.Error())
		case errors.Is(err, ErrBadCredentials), errors.Is(err, token.ErrInvalidToken):
			writeOAuthError(w, http.StatusUnauthorized, "invalid_grant", "invalid credentials or refresh token")
		default:
			t.log.ErrorContext(r.Context(), "token request", "err", err)
			writeOAuthError(w, http.StatusInternalServerError, "server_error", "internal error")
		}
		return
	}
	t.issue(w, r, c, scopes, offline, f.Get("client_id"), refresh)
}

// issue grants scopes to c and writes the token response.
func (t *TokenServer) issue(w http.ResponseWriter, r *http.Request, c Caller, scopes []access.Scope, offline bool, clientID, refresh string) {
	ctx := r.Context()
	var lookupErr error
	lookup := func(repo string) (public, exists bool) {
		info, err := t.projects.Lookup(ctx, access.ProjectOf(repo))
		if err != nil {
			lookupErr = err
			return false, false
		}
		return info.Public, info.Exists
	}
	now := t.now()
	granted := t.eval.Grant(c.Principal, scopes, lookup, now)
	if lookupErr != nil {
		t.log.ErrorContext(ctx, "token: project lookup", "err", lookupErr)
		writeTokenError(w, http.StatusInternalServerError, "UNKNOWN", "internal error")
		return
	}
	if granted == nil {
		granted = []access.Scope{}
	}
	subject := c.Principal.Name
	if c.Method == MethodAuthOff {
		subject = ""
	}
	tok, expiresIn, issuedAt, err := t.issuer.Issue(subject, granted, 0)
	if err == nil && offline && subject != "" {
		refresh, err = t.issuer.IssueRefresh(subject, clientID)
	}
	if err != nil {
		t.log.ErrorContext(ctx, "issue token", "err", err)
		writeTokenError(w, http.StatusInternalServerError, "UNKNOWN", "internal error")
		return
	}
	// A credential check without a repository in view is a login (docker,
	// oras, helm and regctl login all look like this).
	if !c.Anonymous() && c.Method != MethodAuthOff && (offline || len(scopes) == 0) {
		err := t.authn.store.AppendAudit(context.WithoutCancel(ctx), meta.AuditEvent{
			OccurredAt: now, Username: subject, PrincipalKind: c.Kind(), Operation: meta.OpLogin,
			ResourceType: "user", Resource: subject, RemoteAddr: httpx.ClientIP(r),
		})
		if err != nil {
			t.log.ErrorContext(ctx, "audit login", "err", err)
		}
	}
	b, _ := json.Marshal(token.NewResponse(tok, expiresIn, issuedAt, refresh, granted))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (t *TokenServer) unauthorized(w http.ResponseWriter, err error) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		writeTokenError(w, http.StatusTooManyRequests, "TOOMANYREQUESTS", err.Error())
		return
	}
	if !errors.Is(err, ErrBadCredentials) {
		t.log.Error("token: authenticate", "err", err)
		writeTokenError(w, http.StatusInternalServerError, "UNKNOWN", "internal error")
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="berth"`)
	writeTokenError(w, http.StatusUnauthorized, "UNAUTHORIZED", "incorrect username or password")
}

// writeTokenError answers in the registry's error shape, which Docker
// clients print.
func writeTokenError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeOAuthError answers in RFC 6749 section 5.2's shape.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
