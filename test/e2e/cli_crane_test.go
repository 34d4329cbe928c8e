package e2e

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// writeLayerTar writes a tar holding files (name -> content) to path.
func writeLayerTar(t testing.TB, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readTarFile returns the content of name in the tar stream r.
func readTarFile(t testing.TB, r io.Reader, name string) []byte {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s not in tar", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

func TestCLICrane(t *testing.T) {
	c := newCLI(t, "crane")
	c.run(testCtx(t, time.Minute), "auth", "login", sharedServer(t).localhost(), "-u", adminUser, "-p", adminPassword)
	srv := sharedServer(t)
	ctx := testCtx(t, 3*time.Minute)
	host := srv.localhost()
	u := uniq(t)
	crane := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(c.run(ctx, append([]string{"--insecure"}, args...)...))
	}

	// crane append: a layer tarball of our own on an empty base; crane export gives it back.
	content := randomBytes(t, 200<<10)
	writeLayerTar(t, filepath.Join(c.dir, "layer.tar"), map[string][]byte{"data/blob.bin": content})
	app := host + "/crane/app-" + u + ":v1"
	crane("append", "-f", filepath.Join(c.dir, "layer.tar"), "-t", app)
	out, err := c.try(ctx, "--insecure", "export", app, "-")
	if err != nil {
		t.Fatalf("crane export: %v\n%s", err, out)
	}
	if got := readTarFile(t, strings.NewReader(out), "data/blob.bin"); !bytes.Equal(got, content) {
		t.Fatalf("crane export: file content differs from the appended layer")
	}

	// crane push of a docker tarball made with ggcr.
	img, err := random.Image(300<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	src := host + "/crane/push-" + u + ":v1"
	tarPath := filepath.Join(c.dir, "image.tar")
	if err := tarball.WriteToFile(tarPath, ggcrRef(t, srv, "crane/local:v1"), img); err != nil {
		t.Fatal(err)
	}
	crane("push", tarPath, src)
	want, _ := img.Digest()
	if got := crane("digest", src); got != want.String() {
		t.Fatalf("crane digest %s: %s, want %s", src, got, want)
	}

	dst := host + "/crane/copy-" + u
	crane("copy", src, dst+":v2")
	if got := crane("digest", dst+":v2"); got != want.String() {
		t.Fatalf("crane digest after copy: %s, want %s", got, want)
	}
	if tags := strings.Fields(crane("ls", dst)); !contains(tags, "v2") {
		t.Fatalf("crane ls %s: %v", dst, tags)
	}
	raw, err := c.try(ctx, "--insecure", "manifest", dst+":v2")
	if err != nil {
		t.Fatalf("crane manifest: %v\n%s", err, raw)
	}
	if sha256Digest([]byte(raw)) != want.String() {
		t.Fatalf("crane manifest: bytes hash to %s, want %s", sha256Digest([]byte(raw)), want)
	}

	// crane pull into an OCI layout; the layers are the pushed bytes.
	lp := filepath.Join(c.dir, "pulled")
	crane("pull", "--format=oci", dst+":v2", lp)
	ii, err := layout.ImageIndexFromPath(lp)
	if err != nil {
		t.Fatalf("read pulled layout: %v", err)
	}
	pulled, err := ii.Image(want)
	if err != nil {
		t.Fatalf("pulled layout has no image %s: %v", want, err)
	}
	sameImage(t, img, pulled)

	repos := strings.Fields(crane("catalog", host))
	for _, r := range []string{"crane/app-" + u, "crane/push-" + u, "crane/copy-" + u} {
		if !contains(repos, r) {
			t.Fatalf("crane catalog lacks %s: %v", r, repos)
		}
	}

	crane("delete", dst+"@"+want.String())
	if out, err := c.try(ctx, "--insecure", "manifest", dst+"@"+want.String()); err == nil {
		t.Fatalf("crane manifest after crane delete succeeded:\n%s", out)
	}
	// The source repository still has it.
	if got := crane("digest", src); got != want.String() {
		t.Fatalf("source after deleting the copy: %s", got)
	}
}
