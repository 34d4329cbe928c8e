package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ociImage builds a random image with OCI media types throughout.
func ociImage(t testing.TB, layers int, size int64) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for range layers {
		l, err := random.Layer(size, types.OCILayer)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func TestCLISkopeo(t *testing.T) {
	regConf := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(regConf, []byte("unqualified-search-registries = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	authFile := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(authFile, []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, "skopeo", "CONTAINERS_REGISTRIES_CONF="+regConf, "REGISTRY_AUTH_FILE="+authFile)
	srv := sharedServer(t)
	ctx := testCtx(t, 3*time.Minute)
	regD := t.TempDir()
	skopeo := func(args ...string) string {
		t.Helper()
		return c.run(ctx, append([]string{"--insecure-policy", "--registries.d", regD}, args...)...)
	}

	c.run(ctx, "login", "--tls-verify=false", "-u", adminUser, "-p", adminPassword, srv.localhost())
	img := ociImage(t, 3, 100<<10)
	want, _ := img.Digest()
	lp, err := layout.Write(filepath.Join(c.dir, "oci"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v1"})); err != nil {
		t.Fatal(err)
	}
	repo := srv.localhost() + "/skopeo/img-" + uniq(t)

	skopeo("copy", "--dest-tls-verify=false", "oci:"+string(lp)+":v1", "docker://"+repo+":v1")

	var info struct {
		Digest string   `json:"Digest"`
		Layers []string `json:"Layers"`
	}
	out := skopeo("inspect", "--tls-verify=false", "docker://"+repo+":v1")
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	if info.Digest != want.String() {
		t.Fatalf("skopeo inspect: digest %s, want %s (skopeo copied the manifest verbatim)", info.Digest, want)
	}
	if len(info.Layers) != 3 {
		t.Fatalf("skopeo inspect: %d layers, want 3", len(info.Layers))
	}

	var tags struct {
		Tags []string `json:"Tags"`
	}
	out = skopeo("list-tags", "--tls-verify=false", "docker://"+repo)
	if err := json.Unmarshal([]byte(out), &tags); err != nil || !contains(tags.Tags, "v1") {
		t.Fatalf("skopeo list-tags: %v\n%s", err, out)
	}

	dir := filepath.Join(c.dir, "dir")
	skopeo("copy", "--src-tls-verify=false", "docker://"+repo+":v1", "dir:"+dir)
	m, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256Digest(m) != want.String() {
		t.Fatalf("skopeo copy to dir: manifest hashes to %s, want %s", sha256Digest(m), want)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		d, b := layerBytes(t, l)
		got, err := os.ReadFile(filepath.Join(dir, d.Hex))
		if err != nil {
			t.Fatalf("skopeo dir: layer %s: %v", d, err)
		}
		if string(got) != string(b) {
			t.Fatalf("skopeo dir: layer %s differs from the pushed bytes", d)
		}
	}

	skopeo("delete", "--tls-verify=false", "docker://"+repo+":v1")
	if out, err := c.try(ctx, "--insecure-policy", "--registries.d", regD, "inspect", "--tls-verify=false", "docker://"+repo+"@"+want.String()); err == nil {
		t.Fatalf("skopeo inspect after skopeo delete succeeded:\n%s", out)
	} else if !strings.Contains(strings.ToLower(out), "manifest unknown") && !strings.Contains(out, "404") && !strings.Contains(strings.ToLower(out), "not found") {
		t.Logf("skopeo inspect after delete failed as expected, with: %s", out)
	}
}
