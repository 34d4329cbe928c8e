package ui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/ui"
)

// webRoots are the web/ sources dist is built from; web/scripts/sources.mjs
// lists the same and hashes them the same way.
var webRoots = []string{"index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "public", "src"}

// sourceHash is sha256 over "path NUL hex(sha256(content)) LF" for every
// file under webRoots, sorted by slash-separated path.
func sourceHash(t *testing.T, web string) string {
	t.Helper()
	var files []string
	for _, root := range webRoots {
		err := filepath.WalkDir(filepath.Join(web, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(web, p)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(web, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		fh := sha256.Sum256(b)
		h.Write([]byte(f + "\x00" + hex.EncodeToString(fh[:]) + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestDistFresh fails when internal/ui/dist was not rebuilt after web/
// changed: `go run ./cmd/berth serve` must serve the current UI without npm.
func TestDistFresh(t *testing.T) {
	t.Parallel()
	dist := ui.Dist()
	recorded, err := fs.ReadFile(dist, ui.SourceHashFile)
	if err != nil {
		t.Fatalf("internal/ui/dist has no %s: build the UI (cd web && npm ci && npm run build) and commit internal/ui/dist", ui.SourceHashFile)
	}
	if got := sourceHash(t, "../../web"); strings.TrimSpace(string(recorded)) != got {
		t.Fatalf("internal/ui/dist is stale: built from web/ sources %s, they now hash to %s; run `cd web && npm ci && npm run build` and commit internal/ui/dist",
			strings.TrimSpace(string(recorded)), got)
	}
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="/([^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d files, want the script and the stylesheet at least:\n%s", len(refs), index)
	}
	for _, m := range refs {
		if _, err := fs.Stat(dist, m[1]); err != nil {
			t.Errorf("index.html references /%s, which dist lacks", m[1])
		}
	}
	if strings.Contains(string(index), "<script>") {
		t.Error("index.html has an inline script; the Content-Security-Policy forbids it")
	}
}
