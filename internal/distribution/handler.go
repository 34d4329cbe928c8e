// Package distribution serves the OCI Distribution API under /v2/: blobs,
// uploads, manifests, tags, catalog and referrers, with the spec's headers
// and error bodies.
package distribution

import (
	"log/slog"
	"net/http"

	"github.com/berth-oci/berth/internal/artifact"
	"github.com/berth-oci/berth/internal/blob"
)

// Options tune the handler.
type Options struct {
	// MaxManifestSize bounds a manifest body in bytes (default 4 MiB).
	MaxManifestSize int64
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
		opt.MaxManifestSize = 4 << 20
	}
	return &Handler{blobs: blobs, arts: arts, log: log, opt: opt}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not yet", http.StatusNotImplemented)
}
