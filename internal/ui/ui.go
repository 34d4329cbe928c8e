package ui

import (
	"bytes"
	"embed"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/httpx"
)

// SourceHashFile is the file in dist holding the hash of the web/ sources
// dist was built from (see SourceHash).
const SourceHashFile = "source.sha256"

//go:embed all:dist
var distFS embed.FS

// Dist returns the embedded build output.
func Dist() fs.FS {
	sub, _ := fs.Sub(distFS, "dist")
	return sub
}

// Security headers of every UI response. No inline script or style, no
// framing, nothing loaded from elsewhere (img-src allows data: for the CSS
// library's inline SVG icons).
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// Handler serves the UI and the /c/ session endpoints.
type Handler struct {
	files fs.FS
	index []byte
	authn *auth.Authenticator
	log   *slog.Logger
	mod   time.Time
}

// New returns the UI handler over the embedded dist. authn logs users in
// (its Sessions must be set for /c/login to work).
func New(authn *auth.Authenticator, log *slog.Logger) *Handler {
	return NewFS(Dist(), authn, log)
}

// NewFS is New over another build output, for tests.
func NewFS(files fs.FS, authn *auth.Authenticator, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		log.Error("ui: dist has no index.html; run `npm ci && npm run build` in web/", "err", err)
		index = []byte("<!doctype html><title>Berth</title><p>The web UI was not built into this binary.</p>")
	}
	return &Handler{files: files, index: index, authn: authn, log: log, mod: time.Now()}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	switch p := r.URL.Path; {
	case p == "/c/login":
		httpx.SetRoute(r.Context(), "ui_login")
		h.login(w, r)
	case p == "/c/logout":
		httpx.SetRoute(r.Context(), "ui_logout")
		h.logout(w, r)
	case p == "/c/session":
		httpx.SetRoute(r.Context(), "ui_session")
		h.session(w, r)
	case strings.HasPrefix(p, "/c/"):
		httpx.SetRoute(r.Context(), "ui_unknown")
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint "+p)
	default:
		h.static(w, r)
	}
}

// static serves a file of dist, or index.html for any path that is not one
// (the SPA's client routes). Hashed files under assets/ are immutable.
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		httpx.SetRoute(r.Context(), "ui_static")
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name != "" && name != "index.html" && name != SourceHashFile {
		if b, err := fs.ReadFile(h.files, name); err == nil {
			httpx.SetRoute(r.Context(), "ui_static")
			if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			http.ServeContent(w, r, name, h.mod, bytes.NewReader(b))
			return
		}
		if strings.HasPrefix(name, "assets/") || (!strings.Contains(name, "/") && path.Ext(name) != "") {
			// A missing asset is a 404, not the app: a stale page asking for
			// an old bundle must fail visibly rather than parse HTML as JS.
			httpx.SetRoute(r.Context(), "ui_static")
			http.NotFound(w, r)
			return
		}
	}
	httpx.SetRoute(r.Context(), "ui_index")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "index.html", h.mod, bytes.NewReader(h.index))
}
