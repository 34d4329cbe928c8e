package oci

import (
	"encoding/json"
	"regexp"
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
// repository: the config and each layer but the Docker foreign and OCI
// non-distributable ones. Those are told by media type alone: image-spec's
// layer.md says the presence of urls SHOULD NOT decide it, so a regular layer
// with urls is required like any other.
func (m *Manifest) Blobs() []Descriptor {
	var out []Descriptor
	if m.Config != nil {
		out = append(out, *m.Config)
	}
	for _, l := range m.Layers {
		if isNonDistributable(l.MediaType) {
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
	Config        *rawDescriptor    `json:"config"`
	Layers        []rawDescriptor   `json:"layers"`
	Blobs         json.RawMessage   `json:"blobs"` // pre-1.1 artifact manifests: refused
	Manifests     []rawDescriptor   `json:"manifests"`
	Subject       *rawDescriptor    `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	FSLayers      json.RawMessage   `json:"fsLayers"` // schema1
}

// rawDescriptor decodes a Descriptor while telling a missing size (the
// outer, shallower Size field wins) from an explicit zero.
type rawDescriptor struct {
	Descriptor
	Size *int64 `json:"size"`
}

// mediaTypeArtifactManifest is the artifact manifest of image-spec 1.1 release
// candidates, dropped from the final specification.
const mediaTypeArtifactManifest = "application/vnd.oci.artifact.manifest.v1+json"

// mediaTypeRE is the descriptor mediaType pattern of the image-spec JSON
// schema (defs-descriptor.json): an RFC 6838 section 4.2 type/subtype pair.
var mediaTypeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)

// errSchema1 returns a fresh *Error each time: callers may change what they get.
func errSchema1() *Error {
	return CodeManifestInvalid.WithMessage("Docker schema1 manifests are not supported; push with schema2 or OCI")
}

// ParseManifest parses and validates a manifest body. contentType is the
// request's Content-Type; its parameters are ignored, and it may be empty or
// generic, in which case the media type comes from the body (its mediaType,
// else its shape). It returns CodeManifestInvalid for anything malformed, for
// a mediaType in the body that is not a manifest type Berth stores or that
// contradicts a manifest Content-Type, and for Docker schema1 and the
// withdrawn OCI artifact manifest, which Berth does not accept.
func ParseManifest(contentType string, body []byte) (*Manifest, error) {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	if ct == MediaTypeDockerSchema1 || ct == MediaTypeDockerSchema1S {
		return nil, errSchema1()
	}
	var raw rawManifest
	// Unmarshal, not a Decoder: it refuses anything after the JSON value.
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, CodeManifestInvalid.WithMessage("manifest is not valid JSON: %s", err)
	}
	if raw.SchemaVersion != nil && *raw.SchemaVersion == 1 || raw.FSLayers != nil ||
		raw.MediaType == MediaTypeDockerSchema1 || raw.MediaType == MediaTypeDockerSchema1S {
		return nil, errSchema1()
	}
	if raw.SchemaVersion == nil || *raw.SchemaVersion != 2 {
		return nil, CodeManifestInvalid.WithMessage("schemaVersion must be 2")
	}
	if ct == mediaTypeArtifactManifest || raw.MediaType == mediaTypeArtifactManifest || raw.Blobs != nil {
		return nil, CodeManifestInvalid.WithMessage("OCI artifact manifests are not supported; push an image manifest with artifactType")
	}
	mt, err := manifestMediaType(ct, &raw)
	if err != nil {
		return nil, err
	}
	if raw.ArtifactType != "" && !mediaTypeRE.MatchString(raw.ArtifactType) {
		return nil, CodeManifestInvalid.WithMessage("artifactType %q is not a valid media type", raw.ArtifactType)
	}
	m := &Manifest{MediaType: mt, Annotations: raw.Annotations, ArtifactType: raw.ArtifactType}
	if IsIndexMediaType(mt) {
		err = m.fillIndex(&raw)
	} else {
		err = m.fillImage(&raw)
	}
	if err != nil {
		return nil, err
	}
	if raw.Subject != nil {
		if m.Subject, err = validateDescriptor("subject", raw.Subject); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// manifestMediaType decides the kind of manifest from the body's mediaType,
// else a manifest Content-Type, else the body's shape.
func manifestMediaType(ct string, raw *rawManifest) (string, error) {
	if raw.MediaType != "" {
		if !IsManifestMediaType(raw.MediaType) {
			return "", CodeManifestInvalid.WithMessage("unsupported manifest media type %q", raw.MediaType)
		}
		if IsManifestMediaType(ct) && raw.MediaType != ct {
			return "", CodeManifestInvalid.WithMessage("mediaType %q in body does not match Content-Type %q", raw.MediaType, ct)
		}
		return raw.MediaType, nil
	}
	if IsManifestMediaType(ct) {
		return ct, nil
	}
	// Neither the body nor a known Content-Type names the kind: infer it.
	switch {
	case raw.Manifests != nil && raw.Config == nil:
		return MediaTypeOCIIndex, nil
	case raw.Config != nil:
		return MediaTypeOCIManifest, nil
	}
	return "", CodeManifestInvalid.WithMessage("cannot tell the manifest type: no mediaType, Content-Type %q", ct)
}

func (m *Manifest) fillIndex(raw *rawManifest) error {
	if raw.Config != nil || raw.Layers != nil {
		return CodeManifestInvalid.WithMessage("an index has no config or layers")
	}
	if raw.Manifests == nil {
		return CodeManifestInvalid.WithMessage("an index must have a manifests list")
	}
	if len(raw.Manifests) > MaxDescriptors {
		return CodeManifestInvalid.WithMessage("too many manifests (max %d)", MaxDescriptors)
	}
	m.Manifests = make([]Descriptor, len(raw.Manifests))
	for i := range raw.Manifests {
		d, err := validateDescriptor("manifests", &raw.Manifests[i])
		if err != nil {
			return err
		}
		if p := d.Platform; p != nil && (p.Architecture == "" || p.OS == "") {
			return CodeManifestInvalid.WithMessage("manifests: platform needs architecture and os")
		}
		m.Manifests[i] = *d
	}
	return nil
}

func (m *Manifest) fillImage(raw *rawManifest) error {
	if raw.Config == nil {
		return CodeManifestInvalid.WithMessage("image manifest has no config descriptor")
	}
	if raw.Manifests != nil {
		return CodeManifestInvalid.WithMessage("an image manifest has no manifests list")
	}
	if len(raw.Layers) > MaxDescriptors {
		return CodeManifestInvalid.WithMessage("too many layers (max %d)", MaxDescriptors)
	}
	var err error
	if m.Config, err = validateDescriptor("config", raw.Config); err != nil {
		return err
	}
	if raw.Layers != nil {
		m.Layers = make([]Descriptor, len(raw.Layers))
	}
	for i := range raw.Layers {
		d, err := validateDescriptor("layers", &raw.Layers[i])
		if err != nil {
			return err
		}
		m.Layers[i] = *d
	}
	if m.ArtifactType == "" {
		m.ArtifactType = m.Config.MediaType
	}
	return nil
}

// validateDescriptor checks the REQUIRED descriptor fields (mediaType, size,
// digest) and the media type grammar, and returns the Descriptor.
func validateDescriptor(field string, r *rawDescriptor) (*Descriptor, error) {
	d := r.Descriptor
	if d.MediaType == "" {
		return nil, CodeManifestInvalid.WithMessage("%s: descriptor has no mediaType", field)
	}
	if !mediaTypeRE.MatchString(d.MediaType) {
		return nil, CodeManifestInvalid.WithMessage("%s: mediaType %q is not a valid media type", field, d.MediaType)
	}
	if d.ArtifactType != "" && !mediaTypeRE.MatchString(d.ArtifactType) {
		return nil, CodeManifestInvalid.WithMessage("%s: artifactType %q is not a valid media type", field, d.ArtifactType)
	}
	if r.Size == nil {
		return nil, CodeManifestInvalid.WithMessage("%s: descriptor has no size", field)
	}
	if *r.Size < 0 {
		return nil, CodeManifestInvalid.WithMessage("%s: descriptor size %d is negative", field, *r.Size)
	}
	d.Size = *r.Size
	if _, err := ParseDigest(string(d.Digest)); err != nil {
		return nil, CodeManifestInvalid.WithMessage("%s: invalid digest %q", field, d.Digest)
	}
	return &d, nil
}
