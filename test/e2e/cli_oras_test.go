package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCLIOras(t *testing.T) {
	c := newCLI(t, "oras")
	srv := sharedServer(t)
	ctx := testCtx(t, 3*time.Minute)
	repo := srv.localhost() + "/oras/art-" + uniq(t)
	cfg := []string{"--plain-http", "--registry-config", filepath.Join(c.home(), "oras-auth.json")}
	oras := func(args ...string) string {
		t.Helper()
		return c.run(ctx, append(args, cfg...)...)
	}
	oras("login", srv.localhost(), "-u", adminUser, "-p", adminPassword)
	const artType, sigType = "application/vnd.berth.test.artifact", "application/vnd.berth.test.signature"

	content := randomBytes(t, 150<<10)
	if err := os.WriteFile(filepath.Join(c.dir, "payload.bin"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	var pushed struct {
		Digest       string `json:"digest"`
		ArtifactType string `json:"artifactType"`
	}
	out := oras("push", repo+":v1", "--artifact-type", artType, "--format", "json", "payload.bin:application/octet-stream")
	if err := json.Unmarshal([]byte(out), &pushed); err != nil || !strings.HasPrefix(pushed.Digest, "sha256:") {
		t.Fatalf("oras push --format json: %v\n%s", err, out)
	}
	if _, err := checkManifest(ctx, srv, strings.TrimPrefix(repo, srv.localhost()+"/"), "v1", map[string]bool{}, 0); err != nil {
		t.Fatalf("registry view of the oras artifact: %v", err)
	}

	outDir := filepath.Join(c.dir, "pulled")
	oras("pull", repo+":v1", "-o", outDir)
	got, err := os.ReadFile(filepath.Join(outDir, "payload.bin"))
	if err != nil {
		t.Fatalf("oras pull: %v", err)
	}
	if sha256Digest(got) != sha256Digest(content) {
		t.Fatalf("oras pull: payload differs from pushed (%d bytes, want %d)", len(got), len(content))
	}

	if err := os.WriteFile(filepath.Join(c.dir, "sig.txt"), []byte("signed by e2e"), 0o644); err != nil {
		t.Fatal(err)
	}
	var attached struct {
		Digest string `json:"digest"`
	}
	out = oras("attach", repo+":v1", "--artifact-type", sigType, "--format", "json", "sig.txt:text/plain")
	if err := json.Unmarshal([]byte(out), &attached); err != nil || attached.Digest == "" {
		t.Fatalf("oras attach --format json: %v\n%s", err, out)
	}

	out = oras("discover", repo+":v1", "--format", "json")
	if !strings.Contains(out, attached.Digest) || !strings.Contains(out, sigType) {
		t.Fatalf("oras discover does not list the attached %s (%s):\n%s", sigType, attached.Digest, out)
	}
	out = oras("discover", repo+":v1", "--format", "json", "--artifact-type", artType)
	if strings.Contains(out, attached.Digest) {
		t.Fatalf("oras discover --artifact-type %s lists the %s referrer:\n%s", artType, sigType, out)
	}

	tags := strings.Fields(oras("repo", "tags", repo))
	if !contains(tags, "v1") {
		t.Fatalf("oras repo tags: %v", tags)
	}
	for _, tag := range tags {
		if strings.HasPrefix(tag, "sha256-") {
			t.Fatalf("oras attach fell back to the referrers tag schema (tag %s): the Referrers API was not used", tag)
		}
	}
}
