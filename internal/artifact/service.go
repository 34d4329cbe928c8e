// Package artifact is the one write path for manifests, tags and referrers:
// it parses and validates manifests, checks what they reference is present in
// the repository, and commits them through the metadata store.
package artifact

import (
	"log/slog"

	"github.com/berth-oci/berth/internal/meta"
)

// Service manages manifests and tags.
type Service struct {
	m   meta.Manifests
	log *slog.Logger
}

// New returns a Service.
func New(m meta.Manifests, log *slog.Logger) *Service {
	return &Service{m: m, log: log}
}
