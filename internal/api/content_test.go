package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/artifact"
	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
	"github.com/berth-oci/berth/internal/oci"
)

// contentEnv is an identityEnv whose API also reads blobs, with content
// pushed through the real write path:
//
//	team/app        index "latest" (linux/amd64 + linux/arm64 images),
//	                image "v1" (also "stable"), untagged image
//	team/tools/cli  image "1.0"
//	pub/web         image "latest"
type contentEnv struct {
	*identityEnv
	blobs  *blob.Store
	images map[string]digest.Digest // "team/app:v1" -> digest, "team/app:amd64" for index children
}

func newContentEnv(t *testing.T, opt Options) *contentEnv {
	t.Helper()
	e := &contentEnv{identityEnv: newIdentityEnv(t, opt), images: map[string]digest.Digest{}}
	drv, err := filesystem.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e.blobs = blob.New(drv, e.store, nil, blob.Options{})
	e.api = New(Deps{Store: e.store, Blobs: e.blobs, Now: time.Now}, opt)

	amd := e.push(t, "team/app", "", "amd64", time.Second)
	arm := e.push(t, "team/app", "", "arm64", time.Second)
	e.images["team/app:amd64"], e.images["team/app:arm64"] = amd, arm
	idx := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"amd64","os":"linux"}},`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}`,
		oci.MediaTypeOCIIndex, oci.MediaTypeOCIManifest, amd, e.size(t, "team/app", amd),
		oci.MediaTypeOCIManifest, arm, e.size(t, "team/app", arm))
	e.images["team/app:latest"] = e.putManifest(t, "team/app", "latest", oci.MediaTypeOCIIndex, idx)
	e.images["team/app:v1"] = e.push(t, "team/app", "v1", "v1", 2*time.Second)
	if err := e.store.AddTag(context.Background(), "team/app", "stable", e.images["team/app:v1"]); err != nil {
		t.Fatal(err)
	}
	e.images["team/app:old"] = e.push(t, "team/app", "", "old", 3*time.Second)
	e.images["team/tools/cli:1.0"] = e.push(t, "team/tools/cli", "1.0", "cli", 4*time.Second)
	e.images["pub/web:latest"] = e.push(t, "pub/web", "latest", "web", 5*time.Second)
	return e
}

// push stores an image with one layer and a config with history, tagged
// tag (none if ""), and returns its digest.
func (e *contentEnv) push(t *testing.T, repo, tag, seed string, age time.Duration) digest.Digest {
	t.Helper()
	ctx := context.Background()
	layer := e.putBlob(t, repo, "layer "+seed)
	config := e.putBlob(t, repo, fmt.Sprintf(`{"architecture":"amd64","os":"linux","author":"berth","created":%q,`+
		`"config":{"Env":["A=%s"]},"rootfs":{"type":"layers","diff_ids":[%q]},`+
		`"history":[{"created":"2024-01-01T00:00:00Z","created_by":"ADD %s /"},{"created_by":"CMD [\"sh\"]","empty_layer":true}]}`,
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(-age).Format(time.RFC3339), seed, layer, seed))
	body := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}],"annotations":{"seed":%q}}`,
		oci.MediaTypeOCIManifest, oci.MediaTypeOCIConfig, config, e.blobSize(t, ctx, repo, config), layer, e.blobSize(t, ctx, repo, layer), seed)
	return e.putManifest(t, repo, tag, oci.MediaTypeOCIManifest, body)
}

func (e *contentEnv) putBlob(t *testing.T, repo, content string) digest.Digest {
	t.Helper()
	d := digest.FromString(content)
	if _, err := e.blobs.Put(context.Background(), repo, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *contentEnv) blobSize(t *testing.T, ctx context.Context, repo string, d digest.Digest) int64 {
	t.Helper()
	b, err := e.blobs.Stat(ctx, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	return b.Size
}

func (e *contentEnv) size(t *testing.T, repo string, d digest.Digest) int64 {
	t.Helper()
	m, err := e.store.GetManifest(context.Background(), repo, d)
	if err != nil {
		t.Fatal(err)
	}
	return m.Size
}

func (e *contentEnv) putManifest(t *testing.T, repo, tag, mediaType, body string) digest.Digest {
	t.Helper()
	ref := oci.Reference{Tag: tag, Digest: digest.FromString(body)}
	if tag != "" {
		ref.Digest = ""
	}
	p, err := artifact.New(e.store, nil).PutManifest(context.Background(), repo, ref, mediaType, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return p.Digest
}

// names returns the value of field key of each object of a JSON array
// response.
func names(t *testing.T, body []byte, key string) []string {
	t.Helper()
	var items []map[string]any
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprint(it[key]))
	}
	return out
}

// statusCase is a request and the status it must get.
type statusCase struct {
	who, method, path, body string
	status                  int
}

// runStatus runs read-only cases against e, each in its own subtest.
func runStatus(t *testing.T, e *contentEnv, cases []statusCase) {
	t.Helper()
	for i, c := range cases {
		t.Run(fmt.Sprintf("%02d %s %s %s", i, c.who, c.method, c.path), func(t *testing.T) {
			want(t, e.do(t, c.who, c.method, c.path, c.body), c.status)
		})
	}
}

func TestSystemRoutes(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{Version: "v1.2.3", RegistryURL: "reg.example.com"})
	w := e.do(t, "anonymous", "GET", "/systeminfo", "")
	want(t, w, http.StatusOK)
	anon := decode[map[string]any](t, w)
	if _, ok := anon["harbor_version"]; ok || anon["auth_mode"] != "db_auth" || anon["self_registration"] != false {
		t.Errorf("anonymous systeminfo = %v", anon)
	}
	w = e.do(t, "dev", "GET", "/systeminfo", "")
	info := decode[map[string]any](t, w)
	if info["harbor_version"] != "v1.2.3" || info["registry_url"] != "reg.example.com" ||
		info["project_creation_restriction"] != "adminonly" || info["has_ca_root"] != false {
		t.Errorf("systeminfo = %v", info)
	}
	w = e.do(t, "anonymous", "GET", "/health", "")
	want(t, w, http.StatusOK)
	h := decode[healthJSON](t, w)
	if h.Status != "healthy" || len(h.Components) != 3 || h.Components[1].Name != "database" {
		t.Errorf("health = %+v", h)
	}
	w = e.do(t, "anonymous", "GET", "/ping", "")
	if w.Code != http.StatusOK || w.Body.String() != "Pong" {
		t.Errorf("ping = %d %q", w.Code, w.Body.String())
	}
	_ = e.store.Close()
	w = e.do(t, "anonymous", "GET", "/health", "")
	if h := decode[healthJSON](t, w); h.Status != "unhealthy" || h.Components[1].Status != "unhealthy" {
		t.Errorf("health with the database closed = %+v", h)
	}
}

// runFresh runs each case in parallel against an environment of its own,
// so that writes do not depend on each other.
func runFresh(t *testing.T, cases []statusCase) {
	t.Helper()
	for i, c := range cases {
		t.Run(fmt.Sprintf("%02d %s %s %s", i, c.who, c.method, c.path), func(t *testing.T) {
			t.Parallel()
			e := newContentEnv(t, Options{})
			want(t, e.do(t, c.who, c.method, c.path, c.body), c.status)
		})
	}
}
