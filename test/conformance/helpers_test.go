package conformance

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Media types used by the tests.
const (
	mtOCIManifest  = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex     = "application/vnd.oci.image.index.v1+json"
	mtOCIConfig    = "application/vnd.oci.image.config.v1+json"
	mtOCILayer     = "application/vnd.oci.image.layer.v1.tar+gzip"
	mtDockerV2     = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerConfig = "application/vnd.docker.container.image.v1+json"
	mtDockerLayer  = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mtSchema1      = "application/vnd.docker.distribution.manifest.v1+json"
	mtSchema1JWS   = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// specCodes are the error codes the spec's table allows ("The code field MUST
// be one of the following"), plus the legacy Docker codes the spec says a
// client MAY encounter.
var specCodes = map[string]bool{
	"BLOB_UNKNOWN": true, "BLOB_UPLOAD_INVALID": true, "BLOB_UPLOAD_UNKNOWN": true,
	"DIGEST_INVALID": true, "MANIFEST_BLOB_UNKNOWN": true, "MANIFEST_INVALID": true,
	"MANIFEST_UNKNOWN": true, "NAME_INVALID": true, "NAME_UNKNOWN": true,
	"SIZE_INVALID": true, "UNAUTHORIZED": true, "DENIED": true,
	"UNSUPPORTED": true, "TOOMANYREQUESTS": true,
	"TAG_INVALID": true, "MANIFEST_UNVERIFIED": true, // legacy Docker schema1 codes
}

var codeRE = regexp.MustCompile(`^[A-Z_]+$`)

// registry is the server under test.
type registry struct {
	base *url.URL
	ns   string
	hc   *http.Client
	// user and pass, when set, are sent as basic auth on every request.
	user, pass string
}

// newRegistry returns the registry named by BERTH_CONFORMANCE_URL, or a fresh
// in-process Berth that lives as long as t.
func newRegistry(t *testing.T) *registry {
	t.Helper()
	raw := os.Getenv("BERTH_CONFORMANCE_URL")
	user, pass := os.Getenv("BERTH_CONFORMANCE_USERNAME"), os.Getenv("BERTH_CONFORMANCE_PASSWORD")
	if raw == "" {
		raw = startBerth(t)
		user, pass = "admin", inProcessPassword
	}
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		t.Fatalf("BERTH_CONFORMANCE_URL: %v", err)
	}
	ns := os.Getenv("BERTH_CONFORMANCE_NAMESPACE")
	if ns == "" {
		ns = "conformance/test"
	}
	// No transparent gzip: the tests compare the exact bytes and lengths sent.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	return &registry{base: base, ns: ns, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, user: user, pass: pass}
}

// repo returns a repository name under the namespace that no other test or
// earlier run uses.
func (r *registry) repo(label string) string {
	return r.ns + "/" + label + "-" + randHex(4)
}

// response is a finished HTTP exchange, its body read in full.
type response struct {
	*http.Response
	Body []byte
	what string // "METHOD URL", for messages
}

// do sends one request. target is a path (/v2/...) or a Location value,
// absolute or relative; hdr are header name/value pairs. A nil body sends no
// body (Content-Length: 0 on POST, PUT and PATCH).
func (r *registry) do(t *testing.T, method, target string, body []byte, hdr ...string) *response {
	t.Helper()
	u := r.url(t, target)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return &response{Response: resp, Body: b, what: method + " " + u}
}

// url resolves target against the base URL.
func (r *registry) url(t *testing.T, target string) string {
	t.Helper()
	ref, err := url.Parse(target)
	if err != nil {
		t.Fatalf("bad URL %q: %v", target, err)
	}
	return r.base.ResolveReference(ref).String()
}

// withQuery adds query parameters to a (possibly relative) Location,
// keeping the ones it already has: the spec says they may be critical.
func withQuery(t *testing.T, loc string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("bad Location %q: %v", loc, err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// wantStatus stops the test unless the response has one of the statuses.
func wantStatus(t *testing.T, resp *response, status ...int) {
	t.Helper()
	if !slices.Contains(status, resp.StatusCode) {
		t.Fatalf("%s: status %d, want %v; body: %.500s", resp.what, resp.StatusCode, status, resp.Body)
	}
}

// wantHeader checks a response header's exact value.
func wantHeader(t *testing.T, resp *response, name, want string) {
	t.Helper()
	if got := resp.Header.Get(name); got != want {
		t.Errorf("%s: header %s = %q, want %q", resp.what, name, got, want)
	}
}

// wantLocation checks that a Location header is present and returns it.
func wantLocation(t *testing.T, resp *response) string {
	t.Helper()
	loc := resp.Header.Get("Location")
	if loc == "" {
		t.Fatalf("%s: %d without a Location header", resp.what, resp.StatusCode)
	}
	return loc
}

// wantError checks a spec error: the status, and a JSON body
// {"errors":[{"code","message","detail"}]} carrying one of codes.
// Berth: every 4xx with a body answers in this JSON form.
func wantError(t *testing.T, resp *response, status int, codes ...string) {
	t.Helper()
	wantStatus(t, resp, status)
	if resp.Request.Method == http.MethodHead {
		return // no body to look at
	}
	got := errorCodes(t, resp)
	if len(codes) > 0 && !slices.ContainsFunc(got, func(c string) bool { return slices.Contains(codes, c) }) {
		t.Errorf("%s: error codes %v, want one of %v", resp.what, got, codes)
	}
}

// errorCodes parses and checks an error body and returns its codes.
func errorCodes(t *testing.T, resp *response) []string {
	t.Helper()
	var body struct {
		Errors []struct {
			Code    *string         `json:"code"`
			Message json.RawMessage `json:"message"`
			Detail  json.RawMessage `json:"detail"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Errorf("%s: %d body is not a JSON error document: %v; body: %.300q", resp.what, resp.StatusCode, err, resp.Body)
		return nil
	}
	if len(body.Errors) == 0 {
		t.Errorf("%s: error body has no errors: %.300s", resp.what, resp.Body)
	}
	var codes []string
	for _, e := range body.Errors {
		switch {
		case e.Code == nil:
			t.Errorf("%s: error without a code: %.300s", resp.what, resp.Body)
			continue
		case !codeRE.MatchString(*e.Code):
			t.Errorf("%s: code %q is not uppercase letters and underscores", resp.what, *e.Code)
		case !specCodes[*e.Code]:
			t.Errorf("%s: code %q is not one of the spec's error codes", resp.what, *e.Code)
		}
		if len(e.Message) > 0 && e.Message[0] != '"' {
			t.Errorf("%s: message is not a string: %s", resp.what, e.Message)
		}
		codes = append(codes, *e.Code)
	}
	return codes
}

// wantSpecErrorBody checks an error body only if it is JSON (the spec lets a
// 4xx body be in any format, but a JSON one must have the spec's shape).
func wantSpecErrorBody(t *testing.T, resp *response) {
	t.Helper()
	if len(resp.Body) > 0 && json.Valid(resp.Body) {
		errorCodes(t, resp)
	}
}

// wantDigestHeader checks Docker-Content-Digest: present, equal to want if
// want is not empty, and matching content under its own algorithm.
func wantDigestHeader(t *testing.T, resp *response, content []byte, want string) {
	t.Helper()
	got := resp.Header.Get("Docker-Content-Digest")
	switch {
	case got == "":
		t.Errorf("%s: no Docker-Content-Digest header", resp.what)
	case want != "" && got != want:
		t.Errorf("%s: Docker-Content-Digest = %q, want %q", resp.what, got, want)
	case content != nil && digestAs(got, content) != got:
		t.Errorf("%s: Docker-Content-Digest %q does not match the content", resp.what, got)
	}
}

// wantContentLength checks the Content-Length header.
func wantContentLength(t *testing.T, resp *response, n int) {
	t.Helper()
	if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(n) {
		t.Errorf("%s: Content-Length = %q, want %d", resp.what, got, n)
	}
}

// wantBody checks the body byte for byte.
func wantBody(t *testing.T, resp *response, want []byte) {
	t.Helper()
	if !bytes.Equal(resp.Body, want) {
		t.Errorf("%s: body differs: got %d bytes %.80q, want %d bytes %.80q",
			resp.what, len(resp.Body), resp.Body, len(want), want)
	}
}

// Content.

func randHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return b
}

func sha256Of(b []byte) string { return digestAs("sha256:", b) }
func sha512Of(b []byte) string { return digestAs("sha512:", b) }

// digestAs digests b with the algorithm of d ("sha256:..." or "sha512:...");
// it returns "" for other algorithms.
func digestAs(d string, b []byte) string {
	alg, _, _ := strings.Cut(d, ":")
	var h hash.Hash
	switch alg {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return ""
	}
	h.Write(b)
	return alg + ":" + hex.EncodeToString(h.Sum(nil))
}

// descriptor, manifest and index are the OCI image-spec documents, written
// here so the tests know exactly which bytes they send.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        descriptor        `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Subject       *descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Manifests     []descriptor      `json:"manifests"`
	Subject       *descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func describe(mediaType string, b []byte) descriptor {
	return descriptor{MediaType: mediaType, Digest: sha256Of(b), Size: int64(len(b))}
}

// image is a pushed image: its blobs and its manifest bytes.
type image struct {
	Config   []byte
	Layers   [][]byte
	Manifest []byte
	Digest   string
	Desc     descriptor // of the manifest
}

// pushBlob uploads b to repo with POST then PUT and returns its descriptor.
func (r *registry) pushBlob(t *testing.T, repo string, mediaType string, b []byte) descriptor {
	t.Helper()
	resp := r.do(t, "POST", "/v2/"+repo+"/blobs/uploads/", nil)
	wantStatus(t, resp, http.StatusAccepted)
	d := sha256Of(b)
	resp = r.do(t, "PUT", withQuery(t, wantLocation(t, resp), "digest", d), b,
		"Content-Type", "application/octet-stream")
	wantStatus(t, resp, http.StatusCreated) // the headers are TestPushBlobMonolithic's
	return describe(mediaType, b)
}

// configJSON is a minimal OCI image config for the given layers.
func configJSON(t *testing.T, layers [][]byte) []byte {
	t.Helper()
	diffIDs := make([]string, len(layers))
	for i, l := range layers {
		diffIDs[i] = sha256Of(l) // the layers are not really compressed; fine for a registry
	}
	return mustJSON(t, map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      time.Now().UTC().Format(time.RFC3339Nano), // unique per image
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
}

// pushImage uploads a random config and two random layers to repo, then puts
// an OCI image manifest for them at ref (a tag, or "" to put it by digest).
// edit, if not nil, may change the manifest before it is encoded.
func (r *registry) pushImage(t *testing.T, repo, ref string, edit func(*manifest)) image {
	t.Helper()
	img := r.pushImageBlobs(t, repo, edit)
	r.putManifestOK(t, repo, ref, mtOCIManifest, img.Manifest)
	return img
}

// pushImageBlobs is pushImage without putting the manifest.
func (r *registry) pushImageBlobs(t *testing.T, repo string, edit func(*manifest)) image {
	t.Helper()
	img := image{Layers: [][]byte{randomBytes(1024), randomBytes(2048)}}
	img.Config = configJSON(t, img.Layers)
	m := manifest{
		SchemaVersion: 2,
		MediaType:     mtOCIManifest,
		Config:        r.pushBlob(t, repo, mtOCIConfig, img.Config),
	}
	for _, l := range img.Layers {
		m.Layers = append(m.Layers, r.pushBlob(t, repo, mtOCILayer, l))
	}
	if edit != nil {
		edit(&m)
	}
	img.Manifest = mustJSON(t, m)
	img.Digest = sha256Of(img.Manifest)
	img.Desc = describe(mtOCIManifest, img.Manifest)
	return img
}

// putManifest PUTs a manifest at ref, or at its sha256 digest if ref is "".
func (r *registry) putManifest(t *testing.T, repo, ref, mediaType string, body []byte) *response {
	t.Helper()
	if ref == "" {
		ref = sha256Of(body)
	}
	return r.do(t, "PUT", "/v2/"+repo+"/manifests/"+ref, body, "Content-Type", mediaType)
}

// putManifestOK PUTs a manifest and checks only for 201: it sets up content
// for other tests, which should not all fail for one missing header.
func (r *registry) putManifestOK(t *testing.T, repo, ref, mediaType string, body []byte) *response {
	t.Helper()
	resp := r.putManifest(t, repo, ref, mediaType, body)
	wantStatus(t, resp, http.StatusCreated)
	return resp
}

// putManifestStrict PUTs a manifest and checks the spec's whole success
// answer: 201, a Location, and Docker-Content-Digest equal to the digest the
// client gave (the reference if it is a digest, else the sha256 of the bytes).
func (r *registry) putManifestStrict(t *testing.T, repo, ref, mediaType string, body []byte) *response {
	t.Helper()
	resp := r.putManifestOK(t, repo, ref, mediaType, body)
	if resp.Header.Get("Location") == "" {
		t.Errorf("%s: 201 without a Location header", resp.what)
	}
	want := sha256Of(body)
	if strings.Contains(ref, ":") {
		want = ref
	}
	wantDigestHeader(t, resp, body, want)
	return resp
}

// tagList fetches /v2/<repo>/tags/list with an optional query and returns
// the response and the tags; it checks the 200 body's shape.
func (r *registry) tagList(t *testing.T, repo, query string) (*response, []string) {
	t.Helper()
	target := "/v2/" + repo + "/tags/list"
	if query != "" {
		target += "?" + query
	}
	resp := r.do(t, "GET", target, nil)
	wantStatus(t, resp, http.StatusOK)
	var body struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("%s: body is not a tag list: %v: %.300s", resp.what, err, resp.Body)
	}
	if body.Name != repo {
		t.Errorf("%s: name = %q, want %q", resp.what, body.Name, repo)
	}
	return resp, body.Tags
}

// nextLink returns the target of a Link header with rel="next" (RFC 5988),
// or "" if there is none.
func nextLink(t *testing.T, resp *response) string {
	t.Helper()
	for _, v := range resp.Header.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				t.Errorf("%s: malformed Link header %q", resp.what, v)
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(val, `"`)), "next") {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// sortedTags reports whether tags are in one of the orders the spec allows:
// lexical (case-insensitive) or ASCIIbetical (Go's sort.Strings).
func sortedTags(tags []string) bool {
	return slices.IsSorted(tags) || slices.IsSortedFunc(tags, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
}

func fmtDescs(ds []descriptor) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\n  %s %s %d artifactType=%q annotations=%v", d.MediaType, d.Digest, d.Size, d.ArtifactType, d.Annotations)
	}
	return b.String()
}

// The OCI empty descriptor's content, the config of artifacts with no config.
var emptyJSON = []byte("{}")

const mtEmpty = "application/vnd.oci.empty.v1+json"

// pushArtifact puts an image manifest whose subject is subject, with an empty
// config of configType (mtEmpty if ""), the given artifactType (omitted if
// "") and annotations, by digest. It returns the manifest's descriptor.
func (r *registry) pushArtifact(t *testing.T, repo string, subject descriptor, artifactType, configType string, annotations map[string]string) (descriptor, *response) {
	t.Helper()
	if configType == "" {
		configType = mtEmpty
	}
	cfg := r.pushBlob(t, repo, configType, emptyJSON)
	layer := r.pushBlob(t, repo, mtOCILayer, randomBytes(64))
	body := mustJSON(t, manifest{
		SchemaVersion: 2,
		MediaType:     mtOCIManifest,
		ArtifactType:  artifactType,
		Config:        cfg,
		Layers:        []descriptor{layer},
		Subject:       &subject,
		Annotations:   annotations,
	})
	resp := r.putManifestOK(t, repo, "", mtOCIManifest, body)
	d := describe(mtOCIManifest, body)
	d.ArtifactType = artifactType
	if artifactType == "" {
		d.ArtifactType = configType // what the referrers API must report
	}
	d.Annotations = annotations
	return d, resp
}
