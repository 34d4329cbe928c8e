package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestCLIRegctl(t *testing.T) {
	home := t.TempDir()
	c := newCLI(t, "regctl", "REGCTL_CONFIG="+filepath.Join(home, "regctl.json"))
	srv := sharedServer(t)
	ctx := testCtx(t, 3*time.Minute)
	host := srv.localhost()
	u := uniq(t)
	regctl := func(args ...string) string {
		t.Helper()
		return c.run(ctx, args...)
	}
	regctl("registry", "set", host, "--tls", "disabled", "--skip-check")
	regctl("registry", "login", host, "-u", adminUser, "-p", adminPassword)

	img, err := random.Image(200<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ggcrRef(t, srv, "regctl/src-"+u+":v1"), img, remoteOpts(ctx)...); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	src, dst := host+"/regctl/src-"+u+":v1", host+"/regctl/copy-"+u+":v1"

	regctl("image", "copy", src, dst)
	if got := strings.TrimSpace(regctl("image", "digest", dst)); got != want.String() {
		t.Fatalf("regctl image digest %s: %s, want %s", dst, got, want)
	}
	if tags := strings.Fields(regctl("tag", "ls", host+"/regctl/copy-"+u)); !contains(tags, "v1") {
		t.Fatalf("regctl tag ls: %v", tags)
	}
	raw := regctl("manifest", "get", dst, "--format", "raw-body")
	if sha256Digest([]byte(raw)) != want.String() {
		t.Fatalf("regctl manifest get --format raw-body hashes to %s, want %s", sha256Digest([]byte(raw)), want)
	}

	const artType = "application/vnd.berth.test.regctl"
	if err := os.WriteFile(filepath.Join(c.dir, "note.txt"), []byte("attached by regctl"), 0o644); err != nil {
		t.Fatal(err)
	}
	regctl("artifact", "put", "--subject", dst, "--artifact-type", artType, "-f", "note.txt", "-m", "text/plain")
	out := regctl("artifact", "list", dst, "--format", "{{json .}}")
	var rl struct {
		Descriptors []descriptorDoc `json:"descriptors"`
	}
	if err := json.Unmarshal([]byte(out), &rl); err != nil {
		t.Fatalf("regctl artifact list: %v\n%s", err, out)
	}
	if len(rl.Descriptors) != 1 || rl.Descriptors[0].ArtifactType != artType {
		t.Fatalf("regctl artifact list: %+v, want one %s", rl.Descriptors, artType)
	}
	if out := regctl("artifact", "list", dst, "--filter-artifact-type", "application/none", "--format", "{{json .}}"); strings.Contains(out, artType) {
		t.Fatalf("regctl artifact list --filter-artifact-type application/none lists %s:\n%s", artType, out)
	}
	if out := regctl("artifact", "tree", dst); !strings.Contains(out, rl.Descriptors[0].Digest) {
		t.Fatalf("regctl artifact tree lacks the referrer %s:\n%s", rl.Descriptors[0].Digest, out)
	}

	layers, _ := img.Layers()
	for _, l := range layers {
		d, b := layerBytes(t, l)
		got := regctl("blob", "get", host+"/regctl/copy-"+u, d.String())
		if got != string(b) {
			t.Fatalf("regctl blob get %s: %d bytes differ from the pushed %d", d, len(got), len(b))
		}
	}

	byDigest := host + "/regctl/copy-" + u + "@" + want.String()
	regctl("image", "delete", byDigest)
	if out, err := c.try(ctx, "manifest", "head", byDigest); err == nil {
		t.Fatalf("regctl manifest head after image delete succeeded: %s", out)
	}
}
