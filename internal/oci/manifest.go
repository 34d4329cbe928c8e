package oci

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest media types Berth stores.
const (
	MediaTypeOCIManifest    = v1.MediaTypeImageManifest
	MediaTypeOCIIndex       = v1.MediaTypeImageIndex
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerSchema1  = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1S = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	MediaTypeOCIEmpty       = v1.MediaTypeEmptyJSON
	MediaTypeOCIConfig      = v1.MediaTypeImageConfig
	MediaTypeDockerConfig   = "application/vnd.docker.container.image.v1+json"
)

// DefaultMaxManifestSize is the default limit on a manifest body (4 MiB).
const DefaultMaxManifestSize = 4 << 20

// MaxDescriptors bounds the number of layers, blobs or children one manifest may name.
const MaxDescriptors = 10000

// ManifestMediaTypes lists the manifest media types Berth accepts, in
// preference order for content negotiation.
var ManifestMediaTypes = []string{
	MediaTypeOCIManifest,
	MediaTypeOCIIndex,
	MediaTypeDockerManifest,
	MediaTypeDockerList,
}

// IsManifestMediaType reports whether mt is a manifest media type Berth stores.
func IsManifestMediaType(mt string) bool {
	for _, m := range ManifestMediaTypes {
		if m == mt {
			return true
		}
	}
	return false
}

// IsIndexMediaType reports whether mt is an OCI index or Docker manifest list.
func IsIndexMediaType(mt string) bool { return mt == MediaTypeOCIIndex || mt == MediaTypeDockerList }

// Descriptor is the subset of an OCI descriptor Berth stores and serves.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       digest.Digest     `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Platform     *v1.Platform      `json:"platform,omitempty"`
}

// Manifest is a parsed, validated manifest or index.
type Manifest struct {
	MediaType    string
	ArtifactType string // manifest artifactType, else the config media type of an image manifest
	Config       *Descriptor
	Layers       []Descriptor // blobs of an image manifest (config excluded)
	Manifests    []Descriptor // children of an index
	Subject      *Descriptor
	Annotations  map[string]string
}

// Blobs returns the blobs the manifest requires to be present in its
// repository: the config and each distributable layer.
func (m *Manifest) Blobs() []Descriptor {
	var out []Descriptor
	if m.Config != nil {
		out = append(out, *m.Config)
	}
	for _, l := range m.Layers {
		if len(l.URLs) > 0 || isNonDistributable(l.MediaType) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func isNonDistributable(mt string) bool {
	return strings.Contains(mt, ".foreign.") || strings.Contains(mt, ".nondistributable.")
}

// rawManifest covers OCI image manifests and indexes and their Docker twins.
type rawManifest struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *Descriptor       `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Blobs         []Descriptor      `json:"blobs"` // pre-1.1 artifact manifests: refused
	Manifests     []Descriptor      `json:"manifests"`
	Subject       *Descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	FSLayers      json.RawMessage   `json:"fsLayers"` // schema1
}

// ParseManifest parses and validates a manifest body. contentType is the
// request's Content-Type; it may be empty or generic, in which case the media
// type comes from the body. It returns CodeManifestInvalid for anything
// malformed, and for Docker schema1, which Berth does not accept.
func ParseManifest(contentType string, body []byte) (*Manifest, error) {
	ct := contentType
	if ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			ct = mt
		}
	}
	if ct == MediaTypeDockerSchema1 || ct == MediaTypeDockerSchema1S {
		return nil, CodeManifestInvalid.WithMessage("Docker schema1 manifests are not supported; push with schema2 or OCI")
	}
	var raw rawManifest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, CodeManifestInvalid.WithMessage("manifest is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, CodeManifestInvalid.WithMessage("trailing data after manifest JSON")
	}
	if raw.SchemaVersion != nil && *raw.SchemaVersion == 1 || len(raw.FSLayers) > 0 {
		return nil, CodeManifestInvalid.WithMessage("Docker schema1 manifests are not supported; push with schema2 or OCI")
	}
	if raw.SchemaVersion == nil || *raw.SchemaVersion != 2 {
		return nil, CodeManifestInvalid.WithMessage("schemaVersion must be 2")
	}
	mt := raw.MediaType
	if mt == "" {
		mt = ct
	}
	if !IsManifestMediaType(mt) {
		// Neither the body nor a known Content-Type names the kind: infer it.
		switch {
		case raw.Manifests != nil && raw.Config == nil:
			mt = MediaTypeOCIIndex
		case raw.Config != nil:
			mt = MediaTypeOCIManifest
		default:
			return nil, CodeManifestInvalid.WithMessage("unsupported manifest media type %q", mt)
		}
	}
	if raw.MediaType != "" && IsManifestMediaType(ct) && raw.MediaType != ct {
		return nil, CodeManifestInvalid.WithMessage("mediaType %q in body does not match Content-Type %q", raw.MediaType, ct)
	}
	m := &Manifest{MediaType: mt, Subject: raw.Subject, Annotations: raw.Annotations, ArtifactType: raw.ArtifactType}
	if IsIndexMediaType(mt) {
		if raw.Config != nil || raw.Layers != nil {
			return nil, CodeManifestInvalid.WithMessage("an index has no config or layers")
		}
		if len(raw.Manifests) > MaxDescriptors {
			return nil, CodeManifestInvalid.WithMessage("too many manifests (max %d)", MaxDescriptors)
		}
		m.Manifests = raw.Manifests
		for i := range m.Manifests {
			if err := validateDescriptor("manifests", &m.Manifests[i]); err != nil {
				return nil, err
			}
		}
	} else {
		if raw.Config == nil {
			return nil, CodeManifestInvalid.WithMessage("image manifest has no config descriptor")
		}
		if raw.Manifests != nil {
			return nil, CodeManifestInvalid.WithMessage("an image manifest has no manifests list")
		}
		if len(raw.Layers) > MaxDescriptors {
			return nil, CodeManifestInvalid.WithMessage("too many layers (max %d)", MaxDescriptors)
		}
		if err := validateDescriptor("config", raw.Config); err != nil {
			return nil, err
		}
		m.Config = raw.Config
		m.Layers = raw.Layers
		for i := range m.Layers {
			if err := validateDescriptor("layers", &m.Layers[i]); err != nil {
				return nil, err
			}
		}
		if m.ArtifactType == "" {
			m.ArtifactType = raw.Config.MediaType
		}
	}
	if m.Subject != nil {
		if err := validateDescriptor("subject", m.Subject); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func validateDescriptor(field string, d *Descriptor) error {
	if d.MediaType == "" {
		return CodeManifestInvalid.WithMessage("%s: descriptor has no mediaType", field)
	}
	if d.Size < 0 {
		return CodeManifestInvalid.WithMessage("%s: descriptor size %d is negative", field, d.Size)
	}
	if _, err := ParseDigest(string(d.Digest)); err != nil {
		return CodeManifestInvalid.WithMessage("%s: invalid digest %q", field, d.Digest)
	}
	return nil
}
