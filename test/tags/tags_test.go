package tags

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/test/internal/berthtest"
)

const adminPassword = "Tags-Admin-1"

// registry is a running Berth driven as the admin with basic auth.
type registry struct {
	t   *testing.T
	url string
}

func start(t *testing.T) *registry {
	t.Helper()
	cfg := config.Default().WithDataDir(t.TempDir())
	cfg.Auth.AdminPassword = adminPassword
	return &registry{t: t, url: berthtest.Serve(t, cfg)}
}

// do sends a request as the admin and returns the response with its body.
func (r *registry) do(method, path, contentType string, body []byte) (*http.Response, []byte) {
	r.t.Helper()
	req, err := http.NewRequestWithContext(r.t.Context(), method, r.url+path, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.SetBasicAuth("admin", adminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// want sends a request and checks its status.
func (r *registry) want(method, path, contentType string, body []byte, status int) (*http.Response, []byte) {
	r.t.Helper()
	resp, b := r.do(method, path, contentType, body)
	if resp.StatusCode != status {
		r.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, status)
	}
	return resp, b
}

// api calls the management API with a JSON body.
func (r *registry) api(method, path string, body any, status int) []byte {
	r.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	_, out := r.want(method, "/api/v2.0"+path, "application/json", b, status)
	return out
}

// blob uploads content to repo in one request.
func (r *registry) blob(repo string, content []byte) (digest.Digest, int) {
	r.t.Helper()
	d := digest.FromBytes(content)
	r.want(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), "application/octet-stream", content, http.StatusCreated)
	return d, len(content)
}

const manifestType = "application/vnd.oci.image.manifest.v1+json"

// manifest uploads the blobs of an image made from seed and returns its
// manifest body and digest (not pushed).
func (r *registry) manifest(repo, seed string) ([]byte, digest.Digest) {
	r.t.Helper()
	cfg, cfgSize := r.blob(repo, fmt.Appendf(nil, `{"architecture":"amd64","os":"linux","seed":%q}`, seed))
	layer, layerSize := r.blob(repo, []byte("layer of "+seed))
	body := fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}]}`,
		manifestType, cfg, cfgSize, layer, layerSize)
	return body, digest.FromBytes(body)
}

// put pushes a manifest body under ref and returns the response.
func (r *registry) put(repo, ref string, body []byte) (*http.Response, []byte) {
	r.t.Helper()
	return r.do(http.MethodPut, "/v2/"+repo+"/manifests/"+ref, manifestType, body)
}

// resolve returns the digest tag names in repo.
func (r *registry) resolve(repo, tag string) digest.Digest {
	r.t.Helper()
	resp, _ := r.want(http.MethodHead, "/v2/"+repo+"/manifests/"+tag, "", nil, http.StatusOK)
	return digest.Digest(resp.Header.Get("Docker-Content-Digest"))
}

// denied checks a /v2/ refusal: 403 DENIED naming the tag as immutable.
func denied(t *testing.T, what string, resp *http.Response, body []byte, tag string) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"DENIED"`) ||
		!strings.Contains(string(body), "tag "+tag+" of team/app is immutable") {
		t.Errorf("%s = %d %s, want 403 DENIED naming tag %s as immutable", what, resp.StatusCode, body, tag)
	}
}

func TestImmutableTagsSurvive(t *testing.T) {
	t.Parallel()
	r := start(t)
	r.api(http.MethodPost, "/projects", map[string]any{"project_name": "team"}, http.StatusCreated)
	r.api(http.MethodPost, "/projects/team/immutabletagrules", map[string]any{
		"tag_selectors":   []map[string]string{{"kind": "doublestar", "decoration": "matches", "pattern": "{v*,release-*}"}},
		"scope_selectors": map[string]any{"repository": []map[string]string{{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}}},
	}, http.StatusCreated)

	const repo = "team/app"
	a, da := r.manifest(repo, "a")
	b, db := r.manifest(repo, "b")
	if resp, body := r.put(repo, "v1", a); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first push of v1 = %d %s", resp.StatusCode, body)
	}
	if resp, body := r.put(repo, "v1", a); resp.StatusCode != http.StatusCreated {
		t.Errorf("pushing v1 again at the same digest = %d %s, want 201", resp.StatusCode, body)
	}
	if resp, body := r.put(repo, db.String(), b); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push by digest = %d %s", resp.StatusCode, body)
	}

	resp, body := r.put(repo, "v1", b)
	denied(t, "PUT v1 at another digest", resp, body, "v1")
	resp, body = r.do(http.MethodDelete, "/v2/"+repo+"/manifests/v1", "", nil)
	denied(t, "DELETE v1", resp, body, "v1")
	resp, body = r.do(http.MethodDelete, "/v2/"+repo+"/manifests/"+da.String(), "", nil)
	denied(t, "DELETE the digest under v1", resp, body, "v1")
	for _, path := range []string{
		"/projects/team/repositories/app/artifacts/v1/tags/v1",
		"/projects/team/repositories/app/artifacts/v1",
		"/projects/team/repositories/app/artifacts/" + da.String(),
		"/projects/team/repositories/app",
	} {
		out := r.api(http.MethodDelete, path, nil, http.StatusPreconditionFailed)
		if !strings.Contains(string(out), "immutable") {
			t.Errorf("API DELETE %s: %s", path, out)
		}
	}
	if got := r.resolve(repo, "v1"); got != da {
		t.Errorf("v1 -> %s after every attempt, want %s", got, da)
	}
	// A second immutable tag on the same artifact, made by push.
	if resp, body := r.put(repo, "release-1", a); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push release-1 = %d %s", resp.StatusCode, body)
	}
	resp, body = r.put(repo, "release-1", b)
	denied(t, "PUT release-1 at another digest", resp, body, "release-1")

	// Tags no rule selects still move and go.
	for _, body := range [][]byte{a, b} {
		if resp, out := r.put(repo, "latest", body); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push latest = %d %s", resp.StatusCode, out)
		}
	}
	if got := r.resolve(repo, "latest"); got != db {
		t.Errorf("latest -> %s, want %s", got, db)
	}
	r.want(http.MethodDelete, "/v2/"+repo+"/manifests/latest", "", nil, http.StatusAccepted)
	r.want(http.MethodDelete, "/v2/"+repo+"/manifests/"+db.String(), "", nil, http.StatusAccepted)

	// The API reports which tags are immutable.
	var art struct {
		Tags []struct {
			Name      string `json:"name"`
			Immutable bool   `json:"immutable"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(r.api(http.MethodGet, "/projects/team/repositories/app/artifacts/v1", nil, http.StatusOK), &art); err != nil {
		t.Fatal(err)
	}
	if len(art.Tags) != 2 || !art.Tags[0].Immutable || !art.Tags[1].Immutable {
		t.Errorf("artifact tags = %+v, want release-1 and v1, both immutable", art.Tags)
	}
}

func TestTagHistoryRestore(t *testing.T) {
	t.Parallel()
	r := start(t)
	r.api(http.MethodPost, "/projects", map[string]any{"project_name": "hist"}, http.StatusCreated)
	const repo = "hist/app"
	a, da := r.manifest(repo, "a")
	b, db := r.manifest(repo, "b")
	for _, body := range [][]byte{a, b} {
		if resp, out := r.put(repo, "v1", body); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push v1 = %d %s", resp.StatusCode, out)
		}
	}
	if got := r.resolve(repo, "v1"); got != db {
		t.Fatalf("v1 -> %s, want %s", got, db)
	}
	r.want(http.MethodDelete, "/v2/"+repo+"/manifests/v1", "", nil, http.StatusAccepted)
	r.want(http.MethodHead, "/v2/"+repo+"/manifests/v1", "", nil, http.StatusNotFound)

	var hist []struct {
		Operation string `json:"operation"`
		Old       string `json:"old_digest"`
		New       string `json:"new_digest"`
		Operator  string `json:"operator"`
	}
	if err := json.Unmarshal(r.api(http.MethodGet, "/projects/hist/repositories/app/tags/v1/history", nil, http.StatusOK), &hist); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]string{"delete " + db.String() + "  admin", "move " + da.String() + " " + db.String() + " admin", "create  " + da.String() + " admin"})
	var got []string
	for _, h := range hist {
		got = append(got, strings.Join([]string{h.Operation, h.Old, h.New, h.Operator}, " "))
	}
	if fmt.Sprint(got) != want {
		t.Errorf("history = %q\nwant      %q", got, want)
	}

	r.api(http.MethodPost, "/projects/hist/repositories/app/tags/v1/restore", map[string]string{"digest": da.String()}, http.StatusOK)
	if got := r.resolve(repo, "v1"); got != da {
		t.Errorf("v1 -> %s after restore, want %s", got, da)
	}
	_, body := r.want(http.MethodGet, "/v2/"+repo+"/manifests/v1", "", nil, http.StatusOK)
	if !bytes.Equal(body, a) {
		t.Errorf("GET v1 after restore = %s, want manifest A", body)
	}
	// A digest the tag never had is not restorable.
	other, dother := r.manifest(repo, "never tagged")
	r.put(repo, dother.String(), other)
	r.api(http.MethodPost, "/projects/hist/repositories/app/tags/v1/restore", map[string]string{"digest": dother.String()}, http.StatusNotFound)
}
