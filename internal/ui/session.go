package ui

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/httpx"
)

// sessionJSON is what /c/login and /c/session answer: who is logged in and
// the CSRF token to send with every state-changing API call. The token
// lives in the page's memory only; a reload fetches it again.
type sessionJSON struct {
	Username     string    `json:"username"`
	SystemAdmin  bool      `json:"sysadmin"`
	CSRFToken    string    `json:"csrf_token"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	AuthDisabled bool      `json:"auth_disabled,omitempty"`
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string][]errorJSON{"errors": {{Code: code, Message: msg}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// secure reports whether the browser reached Berth over TLS (directly or
// through a proxy saying so), so that the cookie is marked Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sameOrigin reports whether a browser's request came from a page of this
// server: an Origin header, when the browser sends one, must name r.Host
// or, behind a proxy that rewrites Host, X-Forwarded-Host (a page on
// another site cannot set either). It keeps other sites from logging a
// visitor in to an account of theirs with a cross-site form (login CSRF)
// or logging them out.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	fwd, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ",")
	return u.Host == r.Host || (fwd != "" && u.Host == strings.TrimSpace(fwd))
}

// login is POST /c/login with JSON {"username","password"} (the SPA) or a
// form (no script): it sets the session cookie. JSON callers get the
// session; form callers are redirected to / (or /login?error=...).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use POST")
		return
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "FORBIDDEN", "cross-origin login refused")
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var cred struct{ Username, Password string }
	form := false
	switch ct {
	case "application/json":
		if err := json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&cred); err != nil {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "body must be JSON {\"username\", \"password\"}")
			return
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		form = true
		cred.Username, cred.Password = r.PostFormValue("username"), r.PostFormValue("password")
	default:
		writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send JSON or a form")
		return
	}
	if h.authn.Disabled() {
		writeJSON(w, http.StatusOK, sessionJSON{Username: "anonymous-admin", SystemAdmin: true, AuthDisabled: true})
		return
	}
	c, sess, value, err := h.authn.Login(r.Context(), cred.Username, cred.Password, httpx.ClientIP(r))
	if err != nil {
		status, code, msg := http.StatusUnauthorized, "UNAUTHORIZED", "invalid username or password"
		var rl *auth.RateLimitError
		switch {
		case errors.As(err, &rl):
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
			status, code, msg = http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "too many failed logins; try again in "+rl.RetryAfter.Round(time.Second).String()
		case errors.Is(err, auth.ErrNotAUser):
			msg = "robot accounts cannot log in to the web UI"
		case !errors.Is(err, auth.ErrBadCredentials):
			h.log.ErrorContext(r.Context(), "ui login", "err", err)
			status, code, msg = http.StatusInternalServerError, "UNKNOWN", "internal error"
		}
		if form {
			http.Redirect(w, r, "/login?error="+strings.ToLower(code), http.StatusSeeOther)
			return
		}
		writeError(w, status, code, msg)
		return
	}
	http.SetCookie(w, h.authn.Sessions().Cookie(value, sess.Expires, secure(r)))
	if form {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, sessionJSON{Username: c.Principal.Name, SystemAdmin: c.Principal.SystemAdmin,
		CSRFToken: h.authn.Sessions().CSRFToken(sess), ExpiresAt: sess.Expires})
}

// logout is POST /c/logout: it clears the session cookie.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use POST")
		return
	}
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "FORBIDDEN", "cross-origin logout refused")
		return
	}
	if s := h.authn.Sessions(); s != nil {
		http.SetCookie(w, s.ClearCookie(secure(r)))
	}
	w.WriteHeader(http.StatusNoContent)
}

// session is GET /c/session: the logged-in user and their CSRF token, or
// 401 when the cookie is missing, expired or no longer valid.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET")
		return
	}
	c := auth.CallerFrom(r.Context())
	if c.Method == auth.MethodAuthOff {
		writeJSON(w, http.StatusOK, sessionJSON{Username: c.Principal.Name, SystemAdmin: true, AuthDisabled: true})
		return
	}
	s := h.authn.Sessions()
	ck, err := r.Cookie(auth.SessionCookie)
	if s == nil || err != nil || c.Method != auth.MethodSession {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "not logged in")
		return
	}
	sess, err := s.Parse(ck.Value)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "not logged in")
		return
	}
	writeJSON(w, http.StatusOK, sessionJSON{Username: c.Principal.Name, SystemAdmin: c.Principal.SystemAdmin,
		CSRFToken: s.CSRFToken(sess), ExpiresAt: sess.Expires})
}
