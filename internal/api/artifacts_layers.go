package api

import (
	"net/http"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/oci"
)

// layerRoutes registers the artifact's layers addition, which the web UI's
// artifact page shows (Harbor has no equivalent; its UI reads the
// manifest through the registry API instead).
func (a *API) layerRoutes() {
	a.handle("GET "+artifactPath+"/{reference}/additions/layers", "artifact_layers", a.artifactLayers)
}

// descriptorJSON is one blob an artifact's manifest points at.
type descriptorJSON struct {
	MediaType   string            `json:"media_type"`
	Digest      digest.Digest     `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// layersJSON is the answer of GET .../additions/layers.
type layersJSON struct {
	Config *descriptorJSON  `json:"config,omitempty"`
	Layers []descriptorJSON `json:"layers"`
}

// artifactLayers is GET .../artifacts/{reference}/additions/layers (read):
// the config and layer descriptors of an image manifest (empty for an
// index, whose children are its references).
func (a *API) artifactLayers(w http.ResponseWriter, r *http.Request) error {
	_, repo, art, err := a.repoArtifact(r, access.ActionRead)
	if err != nil {
		return err
	}
	mf, err := oci.ParseManifest(art.MediaType, art.Payload)
	if err != nil {
		return notFound("artifact %s@%s has no readable manifest", repo, art.Digest)
	}
	out := layersJSON{Layers: make([]descriptorJSON, 0, len(mf.Layers))}
	if c := mf.Config; c != nil {
		out.Config = &descriptorJSON{MediaType: c.MediaType, Digest: c.Digest, Size: c.Size, Annotations: c.Annotations}
	}
	for _, l := range mf.Layers {
		out.Layers = append(out.Layers, descriptorJSON{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
