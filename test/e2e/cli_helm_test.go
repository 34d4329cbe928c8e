package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCLIHelm(t *testing.T) {
	base := t.TempDir()
	c := newCLI(t, "helm",
		"HELM_CACHE_HOME="+filepath.Join(base, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(base, "config"),
		"HELM_DATA_HOME="+filepath.Join(base, "data"),
		"HELM_REGISTRY_CONFIG="+filepath.Join(base, "registry.json"),
		"HELM_REPOSITORY_CONFIG="+filepath.Join(base, "repositories.yaml"),
		"KUBECONFIG="+filepath.Join(base, "kubeconfig"),
	)
	srv := sharedServer(t)
	ctx := testCtx(t, 3*time.Minute)
	helm := func(args ...string) string {
		t.Helper()
		return c.run(ctx, args...)
	}

	helm("registry", "login", srv.localhost(), "--plain-http", "-u", adminUser, "-p", adminPassword)
	chart := "e2e" + uniq(t)
	helm("create", chart)
	helm("package", chart, "-d", c.dir)
	tgz := filepath.Join(c.dir, chart+"-0.1.0.tgz")
	packaged, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatalf("helm package: %v", err)
	}

	out, err := c.try(ctx, "push", tgz, "oci://"+srv.localhost()+"/charts", "--plain-http")
	if err != nil {
		t.Fatalf("helm push: %v\n%s", err, out)
	}
	// helm prints "Digest: sha256:..." (on stderr in some versions: ask the registry instead).
	d, err := checkManifest(ctx, srv, "charts/"+chart, "0.1.0", map[string]bool{}, 0)
	if err != nil {
		t.Fatalf("registry view of the pushed chart: %v", err)
	}
	if m := regexp.MustCompile(`Digest: (sha256:[0-9a-f]{64})`).FindStringSubmatch(out); m != nil && m[1] != d {
		t.Fatalf("helm push reported digest %s, registry has %s", m[1], d)
	}

	pullDir := filepath.Join(c.dir, "pulled") // helm pull -d wants an existing directory
	if err := os.MkdirAll(pullDir, 0o755); err != nil {
		t.Fatal(err)
	}
	helm("pull", "oci://"+srv.localhost()+"/charts/"+chart, "--version", "0.1.0", "--plain-http", "-d", pullDir)
	pulled, err := os.ReadFile(filepath.Join(pullDir, chart+"-0.1.0.tgz"))
	if err != nil {
		t.Fatalf("helm pull: %v", err)
	}
	if !bytes.Equal(pulled, packaged) {
		t.Fatalf("helm pull: chart archive differs from the pushed one (%d bytes, want %d)", len(pulled), len(packaged))
	}

	out = helm("show", "chart", "oci://"+srv.localhost()+"/charts/"+chart, "--version", "0.1.0", "--plain-http")
	if !strings.Contains(out, "name: "+chart) || !strings.Contains(out, "version: 0.1.0") {
		t.Fatalf("helm show chart:\n%s", out)
	}
}
