// Package distribution serves the OCI Distribution API under /v2/: blobs,
// uploads, manifests, tags, catalog and referrers, with the spec's headers
// and error bodies.
package distribution

import (
	"encoding/json"
	"errors"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/event"
	"github.com/opencontainers/go-digest"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/artifact"
	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/httpx"
	"github.com/berth-oci/berth/internal/oci"
)

// Options tune the handler.
type Options struct {
	// MaxManifestSize bounds a manifest body in bytes (default 4 MiB).
	MaxManifestSize int64
	// MaxPageSize bounds n for tags list and catalog (default 10000).
	MaxPageSize int
	// Events, if set, receives push, pull and delete events.
	Events Recorder
	// Guard authorizes requests; nil lets every request through (tests,
	// and nothing else: app always sets one).
	Guard *Guard
}

// Handler serves /v2/.
type Handler struct {
	blobs *blob.Store
	arts  *artifact.Service
	log   *slog.Logger
	opt   Options
}

// New returns the /v2/ handler.
func New(blobs *blob.Store, arts *artifact.Service, log *slog.Logger, opt Options) *Handler {
	if opt.MaxManifestSize <= 0 {
		opt.MaxManifestSize = oci.DefaultMaxManifestSize
	}
	if opt.MaxPageSize <= 0 {
		opt.MaxPageSize = 10000
	}
	return &Handler{blobs: blobs, arts: arts, log: log, opt: opt}
}

// Recorder takes events without blocking.
type Recorder interface {
	Record(event.Event)
}

// record sends an event about the request's artifact, if anyone listens.
func (h *Handler) record(r *http.Request, kind event.Kind, repo string, d digest.Digest, tag, mediaType string) {
	if h.opt.Events == nil {
		return
	}
	c := auth.CallerFrom(r.Context())
	h.opt.Events.Record(event.Event{
		Kind: kind, At: time.Now(), Repository: repo, Digest: d, Tag: tag, MediaType: mediaType,
		Actor: c.Principal.Name, ActorKind: c.Kind(), RemoteAddr: httpx.ClientIP(r),
	})
}

// route is a parsed /v2/ request path.
type route struct {
	kind string // base, catalog, tags, manifest, blob, uploads, upload, referrers
	name string
	ref  string // manifest reference, blob digest, upload id
}

// parsePath splits a /v2/ path from its end, since repository names contain
// slashes. ok is false when the path names no API endpoint.
func parsePath(p string) (route, bool) {
	rest, found := strings.CutPrefix(p, "/v2")
	if !found {
		return route{}, false
	}
	if rest == "" || rest == "/" {
		return route{kind: "base"}, true
	}
	rest = rest[1:]
	if rest == "_catalog" {
		return route{kind: "catalog"}, true
	}
	if name, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		return route{kind: "tags", name: name}, true
	}
	if name, ok := strings.CutSuffix(rest, "/blobs/uploads/"); ok {
		return route{kind: "uploads", name: name}, true
	}
	if name, ok := strings.CutSuffix(rest, "/blobs/uploads"); ok {
		return route{kind: "uploads", name: name}, true
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return route{}, false
	}
	last, head := rest[i+1:], rest[:i]
	j := strings.LastIndexByte(head, '/')
	if j <= 0 || last == "" {
		return route{}, false
	}
	verb, name := head[j+1:], head[:j]
	switch verb {
	case "manifests":
		return route{kind: "manifest", name: name, ref: last}, true
	case "blobs":
		return route{kind: "blob", name: name, ref: last}, true
	case "referrers":
		return route{kind: "referrers", name: name, ref: last}, true
	case "uploads":
		if n, ok := strings.CutSuffix(name, "/blobs"); ok {
			return route{kind: "upload", name: n, ref: last}, true
		}
	}
	return route{}, false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	rt, ok := parsePath(r.URL.Path)
	if !ok {
		httpx.SetRoute(r.Context(), "v2_unknown")
		h.writeError(w, r, oci.CodeNameUnknown.WithMessage("no such endpoint %s", r.URL.Path).WithStatus(http.StatusNotFound))
		return
	}
	if rt.kind != "base" && rt.kind != "catalog" {
		if err := oci.ValidateName(rt.name); err != nil {
			httpx.SetRoute(r.Context(), rt.kind+"_"+strings.ToLower(r.Method))
			h.writeError(w, r, err)
			return
		}
	}
	fn, name := h.endpoint(rt.kind, r.Method)
	httpx.SetRoute(r.Context(), name)
	if fn == nil {
		w.Header().Set("Allow", allowed[rt.kind])
		h.writeError(w, r, oci.CodeUnsupported.WithMessage("method %s not allowed on %s", r.Method, rt.kind))
		return
	}
	if h.opt.Guard != nil {
		if err := h.opt.Guard.check(w, r, rt); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	if err := fn(w, r, rt); err != nil {
		h.writeError(w, r, err)
	}
}

type endpointFunc func(http.ResponseWriter, *http.Request, route) error

var allowed = map[string]string{
	"base":      "GET, HEAD",
	"catalog":   "GET",
	"tags":      "GET",
	"manifest":  "GET, HEAD, PUT, DELETE",
	"blob":      "GET, HEAD, DELETE",
	"uploads":   "POST",
	"upload":    "GET, PATCH, PUT, DELETE",
	"referrers": "GET",
}

// endpoint returns the function serving kind+method and its metrics route name.
func (h *Handler) endpoint(kind, method string) (endpointFunc, string) {
	if method == http.MethodHead {
		switch kind {
		case "base", "manifest", "blob":
			method = http.MethodGet
		}
		fn, _ := h.endpoint(kind, method)
		return fn, kind + "_head"
	}
	name := kind + "_" + strings.ToLower(method)
	switch kind + " " + method {
	case "base GET":
		return h.base, name
	case "catalog GET":
		return h.catalog, name
	case "tags GET":
		return h.tags, name
	case "manifest GET":
		return h.getManifest, name
	case "manifest PUT":
		return h.putManifest, name
	case "manifest DELETE":
		return h.deleteManifest, name
	case "blob GET":
		return h.getBlob, name
	case "blob DELETE":
		return h.deleteBlob, name
	case "uploads POST":
		return h.startUpload, name
	case "upload GET":
		return h.uploadStatus, name
	case "upload PATCH":
		return h.patchUpload, name
	case "upload PUT":
		return h.finishUpload, name
	case "upload DELETE":
		return h.cancelUpload, name
	case "referrers GET":
		return h.referrers, name
	}
	return nil, kind + "_other"
}

func (h *Handler) base(w http.ResponseWriter, r *http.Request, _ route) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte("{}"))
	}
	return nil
}

type errorBody struct {
	Errors []*oci.Error `json:"errors"`
}

// writeError renders err as an OCI error body. Errors that are not OCI codes
// are logged and answered 500 UNKNOWN without internal detail.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		e    *oci.Error
		code oci.Code
	)
	switch {
	case errors.As(err, &e):
	case errors.As(err, &code):
		e = &oci.Error{Code: code, Message: code.Message()}
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		// The client went away; nothing useful can be written.
		h.log.DebugContext(r.Context(), "request canceled", "err", err)
		return
	default:
		h.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &oci.Error{Code: oci.CodeUnknown, Message: "internal server error"}
	}
	status := e.Status()
	hdr := w.Header()
	hdr.Del("Content-Length")
	hdr.Del("Docker-Content-Digest")
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []*oci.Error{e}})
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", itoa(int64(len(b))))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, err = w.Write(b)
	}
	return err
}
