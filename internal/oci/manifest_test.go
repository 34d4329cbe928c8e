package oci

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

var (
	dgConfig = digest.FromString("config").String()
	dgLayer  = digest.FromString("layer").String()
	dgLayer2 = digest.FromString("layer2").String()
	dgChild  = digest.FromString("child").String()
	dgSubj   = digest.FromString("subject").String()
)

const (
	mtLayer         = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtNondist       = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	mtDockerLayer   = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mtDockerForeign = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	mtArtifact      = "application/vnd.example.sbom.v1+json"
)

type obj = map[string]any

func desc(mt, dg string, size int64) obj {
	return obj{"mediaType": mt, "digest": dg, "size": size}
}

// with returns a copy of o with the given keys set, or removed when the value is nil.
func with(o obj, kv ...any) obj {
	c := maps.Clone(o)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var (
	ociImage = obj{
		"schemaVersion": 2,
		"mediaType":     MediaTypeOCIManifest,
		"config":        desc(MediaTypeOCIConfig, dgConfig, 7023),
		"layers":        []obj{desc(mtLayer, dgLayer, 32654)},
	}
	ociIndex = obj{
		"schemaVersion": 2,
		"mediaType":     MediaTypeOCIIndex,
		"manifests": []obj{with(desc(MediaTypeOCIManifest, dgChild, 1024),
			"platform", obj{"architecture": "amd64", "os": "linux"})},
	}
	ociArtifact = obj{
		"schemaVersion": 2,
		"mediaType":     MediaTypeOCIManifest,
		"artifactType":  mtArtifact,
		"config":        desc(MediaTypeOCIEmpty, digest.FromString("{}").String(), 2),
		"layers":        []obj{desc(mtArtifact, dgLayer, 10)},
		"subject":       desc(MediaTypeOCIManifest, dgSubj, 500),
	}
	dockerImage = obj{
		"schemaVersion": 2,
		"mediaType":     MediaTypeDockerManifest,
		"config":        desc(MediaTypeDockerConfig, dgConfig, 1000),
		"layers":        []obj{desc(mtDockerLayer, dgLayer, 2000)},
	}
	dockerList = obj{
		"schemaVersion": 2,
		"mediaType":     MediaTypeDockerList,
		"manifests": []obj{with(desc(MediaTypeDockerManifest, dgChild, 528),
			"platform", obj{"architecture": "arm", "os": "linux", "variant": "v7"})},
	}
)

func noType(o obj) obj { return with(o, "mediaType", nil) }

// manifestCases is shared with FuzzParseManifest as its seed corpus.
var manifestCases = []struct {
	name string
	ct   string
	body string
	// wantMT and wantAT are checked when errSub is empty; errSub is a
	// substring of the MANIFEST_INVALID message otherwise.
	wantMT, wantAT string
	errSub         string
}{
	// Accepted.
	{name: "oci image", ct: MediaTypeOCIManifest, body: js(ociImage), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "oci image no content type", body: js(ociImage), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "content type with parameters", ct: MediaTypeOCIManifest + "; charset=utf-8", body: js(ociImage), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "content type with bad parameters", ct: MediaTypeOCIManifest + "; =;", body: js(ociImage), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "content type mixed case", ct: " Application/VND.OCI.Image.Manifest.v1+JSON ", body: js(ociImage), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "generic content type", ct: "application/json", body: js(ociImage), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "type from content type", ct: MediaTypeOCIManifest, body: js(noType(ociImage)), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "docker type from content type", ct: MediaTypeDockerManifest, body: js(noType(dockerImage)), wantMT: MediaTypeDockerManifest, wantAT: MediaTypeDockerConfig},
	{name: "image inferred", ct: "application/octet-stream", body: js(noType(ociImage)), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "index inferred", body: js(noType(ociIndex)), wantMT: MediaTypeOCIIndex},
	{name: "oci index", ct: MediaTypeOCIIndex, body: js(ociIndex), wantMT: MediaTypeOCIIndex},
	{name: "empty index", ct: MediaTypeOCIIndex, body: js(with(ociIndex, "manifests", []obj{})), wantMT: MediaTypeOCIIndex},
	{name: "index with artifactType and subject", ct: MediaTypeOCIIndex, body: js(with(ociIndex, "artifactType", mtArtifact, "subject", desc(MediaTypeOCIIndex, dgSubj, 9))), wantMT: MediaTypeOCIIndex, wantAT: mtArtifact},
	{name: "nested index", body: js(with(ociIndex, "manifests", []obj{desc(MediaTypeOCIIndex, dgChild, 3)})), wantMT: MediaTypeOCIIndex},
	{name: "index child of unknown type", body: js(with(ociIndex, "manifests", []obj{desc("application/vnd.example.future.v9+json", dgChild, 3)})), wantMT: MediaTypeOCIIndex},
	{name: "artifact", ct: MediaTypeOCIManifest, body: js(ociArtifact), wantMT: MediaTypeOCIManifest, wantAT: mtArtifact},
	{name: "artifact type from config", body: js(with(ociImage, "config", desc("application/vnd.example.config.v1+json", dgConfig, 3))), wantMT: MediaTypeOCIManifest, wantAT: "application/vnd.example.config.v1+json"},
	{name: "docker image", ct: MediaTypeDockerManifest, body: js(dockerImage), wantMT: MediaTypeDockerManifest, wantAT: MediaTypeDockerConfig},
	{name: "docker list", ct: MediaTypeDockerList, body: js(dockerList), wantMT: MediaTypeDockerList},
	{name: "no layers", body: js(with(ociImage, "layers", nil)), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "empty layers", body: js(with(ociImage, "layers", []obj{})), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "zero size", body: js(with(ociImage, "config", desc(MediaTypeOCIConfig, dgConfig, 0))), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "sha512 digests", body: js(with(ociImage, "config", desc(MediaTypeOCIConfig, "sha512:"+hex128, 1))), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "unknown fields and data", body: js(with(ociImage, "x-extra", true, "config", with(desc(MediaTypeOCIConfig, dgConfig, 2), "data", "e30="))), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "surrounding whitespace", body: "\n\t " + js(ociImage) + " \r\n", wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "annotations", body: js(with(ociImage, "annotations", obj{"org.opencontainers.image.created": "2024-01-01T00:00:00Z"})), wantMT: MediaTypeOCIManifest, wantAT: MediaTypeOCIConfig},
	{name: "media type with rfc6838 punctuation", body: js(with(ociImage, "config", desc("application/vnd.a!b#c$d&e^f_g.h+i-j", dgConfig, 1))), wantMT: MediaTypeOCIManifest, wantAT: "application/vnd.a!b#c$d&e^f_g.h+i-j"},

	// Docker schema1, by Content-Type and by body.
	{name: "schema1 content type", ct: MediaTypeDockerSchema1, body: js(ociImage), errSub: "schema1"},
	{name: "schema1 signed content type", ct: MediaTypeDockerSchema1S, body: js(ociImage), errSub: "schema1"},
	{name: "schema1 content type with params", ct: MediaTypeDockerSchema1S + "; charset=utf-8", body: "{}", errSub: "schema1"},
	{name: "schema1 body", body: `{"schemaVersion":1,"name":"a/b","tag":"latest","architecture":"amd64","fsLayers":[{"blobSum":"` + dgLayer + `"}],"history":[],"signatures":[]}`, errSub: "schema1"},
	{name: "schema1 version only", body: `{"schemaVersion":1}`, errSub: "schema1"},
	{name: "fsLayers in v2 body", body: js(with(ociImage, "fsLayers", []obj{{"blobSum": dgLayer}})), errSub: "schema1"},
	{name: "schema1 media type in body", body: js(with(ociImage, "mediaType", MediaTypeDockerSchema1)), errSub: "schema1"},

	// Not a single JSON object.
	{name: "empty body", body: "", errSub: "not valid JSON"},
	{name: "null", body: "null", errSub: "schemaVersion"},
	{name: "array", body: "[]", errSub: "not valid JSON"},
	{name: "string", body: `"x"`, errSub: "not valid JSON"},
	{name: "truncated", body: js(ociImage)[:40], errSub: "not valid JSON"},
	{name: "trailing brace", body: js(ociImage) + "}", errSub: "not valid JSON"},
	{name: "trailing bracket", body: js(ociImage) + "]", errSub: "not valid JSON"},
	{name: "trailing object", body: js(ociImage) + "{}", errSub: "not valid JSON"},
	{name: "trailing garbage", body: js(ociImage) + "x", errSub: "not valid JSON"},

	// schemaVersion.
	{name: "no schemaVersion", body: js(with(ociImage, "schemaVersion", nil)), errSub: "schemaVersion must be 2"},
	{name: "schemaVersion 3", body: js(with(ociImage, "schemaVersion", 3)), errSub: "schemaVersion must be 2"},
	{name: "schemaVersion 0", body: js(with(ociImage, "schemaVersion", 0)), errSub: "schemaVersion must be 2"},
	{name: "schemaVersion string", body: js(with(ociImage, "schemaVersion", "2")), errSub: "not valid JSON"},
	{name: "schemaVersion float", body: js(with(ociImage, "schemaVersion", 2.5)), errSub: "not valid JSON"},

	// Media types.
	{name: "unknown body media type", body: js(with(ociImage, "mediaType", "application/vnd.example+json")), errSub: "unsupported manifest media type"},
	{name: "unknown body media type generic ct", ct: "application/json", body: js(with(ociImage, "mediaType", "application/json")), errSub: "unsupported manifest media type"},
	{name: "body media type case differs", body: js(with(ociImage, "mediaType", strings.ToUpper(MediaTypeOCIManifest))), errSub: "unsupported manifest media type"},
	{name: "config media type in body", body: js(with(ociImage, "mediaType", MediaTypeOCIConfig)), errSub: "unsupported manifest media type"},
	{name: "body image ct index", ct: MediaTypeOCIIndex, body: js(ociImage), errSub: "does not match Content-Type"},
	{name: "body oci ct docker", ct: MediaTypeDockerManifest, body: js(ociImage), errSub: "does not match Content-Type"},
	{name: "body docker list ct oci index", ct: MediaTypeOCIIndex, body: js(dockerList), errSub: "does not match Content-Type"},
	{name: "cannot tell", ct: "application/json", body: `{"schemaVersion":2}`, errSub: "cannot tell"},
	{name: "artifact manifest content type", ct: "application/vnd.oci.artifact.manifest.v1+json", body: js(noType(ociImage)), errSub: "artifact manifests"},
	{name: "artifact manifest body", body: `{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json","artifactType":"` + mtArtifact + `","blobs":[]}`, errSub: "artifact manifests"},
	{name: "blobs field", body: js(with(ociImage, "blobs", []obj{desc(mtLayer, dgLayer, 1)})), errSub: "artifact manifests"},

	// Shape.
	{name: "index with config", body: js(with(ociIndex, "config", desc(MediaTypeOCIConfig, dgConfig, 1))), errSub: "no config or layers"},
	{name: "index with layers", body: js(with(ociIndex, "layers", []obj{})), errSub: "no config or layers"},
	{name: "index ct image body", ct: MediaTypeOCIIndex, body: js(noType(ociImage)), errSub: "no config or layers"},
	{name: "index without manifests", body: js(with(ociIndex, "manifests", nil)), errSub: "must have a manifests list"},
	{name: "index with null manifests", body: `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIIndex + `","manifests":null}`, errSub: "must have a manifests list"},
	{name: "image without config", body: js(with(ociImage, "config", nil)), errSub: "no config descriptor"},
	{name: "image with manifests", body: js(with(ociImage, "manifests", []obj{})), errSub: "no manifests list"},
	{name: "shape both", body: js(with(noType(ociImage), "manifests", []obj{})), errSub: "no manifests list"},

	// Descriptors.
	{name: "config no media type", body: js(with(ociImage, "config", with(desc("", dgConfig, 1), "mediaType", nil))), errSub: "config: descriptor has no mediaType"},
	{name: "config empty media type", body: js(with(ociImage, "config", desc("", dgConfig, 1))), errSub: "config: descriptor has no mediaType"},
	{name: "layer bad media type", body: js(with(ociImage, "layers", []obj{desc("not a media type", dgLayer, 1)})), errSub: "layers: mediaType"},
	{name: "layer media type with params", body: js(with(ociImage, "layers", []obj{desc(mtLayer+"; x=y", dgLayer, 1)})), errSub: "layers: mediaType"},
	{name: "layer media type no subtype", body: js(with(ociImage, "layers", []obj{desc("application/", dgLayer, 1)})), errSub: "layers: mediaType"},
	{name: "layer media type header injection", body: js(with(ociImage, "layers", []obj{desc("a/b\r\nX-Evil: 1", dgLayer, 1)})), errSub: "layers: mediaType"},
	{name: "config no size", body: js(with(ociImage, "config", with(desc(MediaTypeOCIConfig, dgConfig, 0), "size", nil))), errSub: "config: descriptor has no size"},
	{name: "layer null size", body: js(with(ociImage, "layers", []obj{with(desc(mtLayer, dgLayer, 0), "size", nil)})), errSub: "layers: descriptor has no size"},
	{name: "negative size", body: js(with(ociImage, "layers", []obj{desc(mtLayer, dgLayer, -1)})), errSub: "negative"},
	{name: "fractional size", body: js(with(ociImage, "layers", []obj{with(desc(mtLayer, dgLayer, 0), "size", 1.5)})), errSub: "not valid JSON"},
	{name: "string size", body: js(with(ociImage, "layers", []obj{with(desc(mtLayer, dgLayer, 0), "size", "1")})), errSub: "not valid JSON"},
	{name: "size overflow", body: strings.Replace(js(ociImage), `"size":7023`, `"size":9223372036854775808`, 1), errSub: "not valid JSON"},
	{name: "no digest", body: js(with(ociImage, "config", with(desc(MediaTypeOCIConfig, "", 1), "digest", nil))), errSub: "config: invalid digest"},
	{name: "uppercase digest", body: js(with(ociImage, "config", desc(MediaTypeOCIConfig, strings.ToUpper(dgConfig), 1))), errSub: "config: invalid digest"},
	{name: "short digest", body: js(with(ociImage, "layers", []obj{desc(mtLayer, "sha256:abc", 1)})), errSub: "layers: invalid digest"},
	{name: "unknown digest algorithm", body: js(with(ociImage, "layers", []obj{desc(mtLayer, "md5:d41d8cd98f00b204e9800998ecf8427e", 1)})), errSub: "layers: invalid digest"},
	{name: "child bad digest", body: js(with(ociIndex, "manifests", []obj{desc(MediaTypeOCIManifest, "sha256:", 1)})), errSub: "manifests: invalid digest"},
	{name: "child no size", body: js(with(ociIndex, "manifests", []obj{with(desc(MediaTypeOCIManifest, dgChild, 1), "size", nil)})), errSub: "manifests: descriptor has no size"},
	{name: "platform without os", body: js(with(ociIndex, "manifests", []obj{with(desc(MediaTypeOCIManifest, dgChild, 1), "platform", obj{"architecture": "amd64"})})), errSub: "platform"},
	{name: "platform without architecture", body: js(with(ociIndex, "manifests", []obj{with(desc(MediaTypeOCIManifest, dgChild, 1), "platform", obj{"os": "linux"})})), errSub: "platform"},
	{name: "subject bad digest", body: js(with(ociArtifact, "subject", desc(MediaTypeOCIManifest, "sha256:xyz", 1))), errSub: "subject: invalid digest"},
	{name: "subject no media type", body: js(with(ociArtifact, "subject", obj{"digest": dgSubj, "size": 1})), errSub: "subject: descriptor has no mediaType"},
	{name: "bad artifactType", body: js(with(ociArtifact, "artifactType", "sbom")), errSub: "artifactType"},
	{name: "bad descriptor artifactType", body: js(with(ociIndex, "manifests", []obj{with(desc(MediaTypeOCIManifest, dgChild, 1), "artifactType", "a b/c")})), errSub: "manifests: artifactType"},
	{name: "annotation not a string", body: js(with(ociImage, "annotations", obj{"a": 1})), errSub: "not valid JSON"},
	{name: "layers not an array", body: js(with(ociImage, "layers", obj{})), errSub: "not valid JSON"},
}

func TestParseManifest(t *testing.T) {
	t.Parallel()
	for _, tc := range manifestCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseManifest(tc.ct, []byte(tc.body))
			if tc.errSub != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeManifestInvalid || !strings.Contains(e.Message, tc.errSub) {
					t.Fatalf("ParseManifest(%q) error = %v, want MANIFEST_INVALID containing %q", tc.ct, err, tc.errSub)
				}
				if m != nil {
					t.Errorf("ParseManifest returned a manifest with its error")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseManifest(%q) error = %v", tc.ct, err)
			}
			if m.MediaType != tc.wantMT || m.ArtifactType != tc.wantAT {
				t.Errorf("MediaType, ArtifactType = %q, %q; want %q, %q", m.MediaType, m.ArtifactType, tc.wantMT, tc.wantAT)
			}
			checkManifest(t, m)
		})
	}
}

func TestParseManifestFields(t *testing.T) {
	t.Parallel()
	m, err := ParseManifest(MediaTypeOCIManifest, []byte(js(with(ociArtifact, "annotations", obj{"k": "v"}))))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		MediaType:    MediaTypeOCIManifest,
		ArtifactType: mtArtifact,
		Config:       &Descriptor{MediaType: MediaTypeOCIEmpty, Digest: digest.FromString("{}"), Size: 2},
		Layers:       []Descriptor{{MediaType: mtArtifact, Digest: digest.Digest(dgLayer), Size: 10}},
		Subject:      &Descriptor{MediaType: MediaTypeOCIManifest, Digest: digest.Digest(dgSubj), Size: 500},
		Annotations:  map[string]string{"k": "v"},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("artifact (-want +got):\n%s", diff)
	}

	m, err = ParseManifest("", []byte(js(dockerList)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Platform == nil || m.Manifests[0].Platform.Variant != "v7" ||
		m.Manifests[0].Digest.String() != dgChild || m.Manifests[0].Size != 528 || m.Config != nil || m.Layers != nil {
		t.Errorf("docker list parsed as %+v", m)
	}
	if b := m.Blobs(); len(b) != 0 {
		t.Errorf("index Blobs() = %v, want none", b)
	}
}

func TestParseManifestLimits(t *testing.T) {
	t.Parallel()
	layers := make([]obj, MaxDescriptors+1)
	for i := range layers {
		layers[i] = desc(mtLayer, dgLayer, 1)
	}
	for _, tc := range []struct {
		name string
		body obj
		ok   bool
	}{
		{"max layers", with(ociImage, "layers", layers[:MaxDescriptors]), true},
		{"too many layers", with(ociImage, "layers", layers), false},
		{"max manifests", with(ociIndex, "manifests", layers[:MaxDescriptors]), true},
		{"too many manifests", with(ociIndex, "manifests", layers), false},
	} {
		_, err := ParseManifest("", []byte(js(tc.body)))
		if tc.ok != (err == nil) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "too many") {
			t.Errorf("%s: err = %v, want too many", tc.name, err)
		}
	}
}

func TestBlobs(t *testing.T) {
	t.Parallel()
	body := with(ociImage, "layers", []obj{
		desc(mtLayer, dgLayer, 1),
		desc(mtNondist, digest.FromString("nondist").String(), 2),
		with(desc(mtNondist+"x", digest.FromString("nondist-url").String(), 3), "urls", []string{"https://example.com/l"}),
		with(desc(mtDockerForeign, digest.FromString("foreign").String(), 4), "urls", []string{"https://mcr.microsoft.com/l"}),
		desc("application/vnd.oci.image.layer.nondistributable.v1.tar", digest.FromString("nondist-tar").String(), 5),
		with(desc(mtLayer, digest.FromString("with-urls").String(), 6), "urls", []string{"https://example.com/m"}),
		desc(mtDockerLayer, dgLayer2, 7),
	})
	m, err := ParseManifest("", []byte(js(body)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range m.Blobs() {
		got = append(got, d.Digest.String())
	}
	want := []string{dgConfig, dgLayer, digest.FromString("with-urls").String(), dgLayer2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Blobs() (-want +got):\n%s", diff)
	}
	if len(m.Layers) != 7 {
		t.Errorf("Layers has %d entries, want all 7", len(m.Layers))
	}

	// An artifact's empty config is a blob like any other.
	m, err = ParseManifest("", []byte(js(ociArtifact)))
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Blobs(); len(b) != 2 || b[0].MediaType != MediaTypeOCIEmpty || b[1].Digest.String() != dgLayer {
		t.Errorf("artifact Blobs() = %+v", b)
	}
	if (&Manifest{}).Blobs() != nil {
		t.Errorf("zero Manifest has blobs")
	}
}

func TestMediaTypeHelpers(t *testing.T) {
	t.Parallel()
	for _, mt := range ManifestMediaTypes {
		if !IsManifestMediaType(mt) {
			t.Errorf("IsManifestMediaType(%q) = false", mt)
		}
	}
	for _, mt := range []string{"", MediaTypeDockerSchema1, MediaTypeDockerSchema1S, MediaTypeOCIConfig, "application/vnd.oci.artifact.manifest.v1+json", strings.ToUpper(MediaTypeOCIManifest)} {
		if IsManifestMediaType(mt) {
			t.Errorf("IsManifestMediaType(%q) = true", mt)
		}
	}
	for mt, want := range map[string]bool{MediaTypeOCIIndex: true, MediaTypeDockerList: true, MediaTypeOCIManifest: false, MediaTypeDockerManifest: false, "": false} {
		if IsIndexMediaType(mt) != want {
			t.Errorf("IsIndexMediaType(%q) = %v", mt, !want)
		}
	}
}

// checkManifest asserts the invariants of every accepted manifest.
func checkManifest(t testing.TB, m *Manifest) {
	t.Helper()
	if !IsManifestMediaType(m.MediaType) {
		t.Fatalf("accepted media type %q", m.MediaType)
	}
	all := append(append([]Descriptor(nil), m.Layers...), m.Manifests...)
	if m.Config != nil {
		all = append(all, *m.Config)
	}
	if m.Subject != nil {
		all = append(all, *m.Subject)
	}
	for _, d := range all {
		if d.Size < 0 {
			t.Fatalf("negative size in %+v", d)
		}
		if _, err := ParseDigest(d.Digest.String()); err != nil {
			t.Fatalf("accepted digest %q: %v", d.Digest, err)
		}
		if !mediaTypeRE.MatchString(d.MediaType) {
			t.Fatalf("accepted descriptor media type %q", d.MediaType)
		}
	}
	if IsIndexMediaType(m.MediaType) {
		if m.Config != nil || m.Layers != nil || m.Manifests == nil || len(m.Blobs()) != 0 {
			t.Fatalf("index with image parts: %+v", m)
		}
	} else {
		if m.Config == nil || m.Manifests != nil {
			t.Fatalf("image manifest without config: %+v", m)
		}
		if m.ArtifactType == "" {
			t.Fatalf("image manifest without artifact type")
		}
	}
	if len(m.Layers) > MaxDescriptors || len(m.Manifests) > MaxDescriptors {
		t.Fatalf("too many descriptors")
	}
}
