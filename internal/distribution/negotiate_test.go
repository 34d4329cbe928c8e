package distribution_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/internal/artifact"
	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
	"github.com/berth-oci/berth/internal/distribution"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

// newHandler wires the /v2/ handler over real stores in a temp dir.
func newHandler(t *testing.T) http.Handler {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	store, err := sqlstore.Open(context.Background(), "sqlite", filepath.Join(dir, "berth.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	drv, err := filesystem.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	blobs := blob.New(drv, store, log, blob.Options{})
	return distribution.New(blobs, artifact.New(store, log), log, distribution.Options{})
}

func do(t *testing.T, h http.Handler, method, path, ct string, body []byte, accept ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for _, a := range accept {
		req.Header.Add("Accept", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func digestOf(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

func TestManifestAcceptNegotiation(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	const (
		ociManifest = "application/vnd.oci.image.manifest.v1+json"
		ociIndex    = "application/vnd.oci.image.index.v1+json"
		docker2     = "application/vnd.docker.distribution.manifest.v2+json"
	)
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	if rec := do(t, h, "POST", "/v2/n/app/blobs/uploads/?digest="+digestOf(cfg), "application/octet-stream", cfg); rec.Code != http.StatusCreated {
		t.Fatalf("blob: %d %s", rec.Code, rec.Body)
	}
	img := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, ociManifest, digestOf(cfg), len(cfg)))
	if rec := do(t, h, "PUT", "/v2/n/app/manifests/img", ociManifest, img); rec.Code != http.StatusCreated {
		t.Fatalf("image: %d %s", rec.Code, rec.Body)
	}
	idx := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}`, ociIndex, ociManifest, digestOf(img), len(img)))
	if rec := do(t, h, "PUT", "/v2/n/app/manifests/multi", ociIndex, idx); rec.Code != http.StatusCreated {
		t.Fatalf("index: %d %s", rec.Code, rec.Body)
	}
	tests := []struct {
		name       string
		ref        string
		accept     []string
		wantStatus int
		wantDigest string
	}{
		{"no Accept", "img", nil, 200, digestOf(img)},
		{"wildcard", "img", []string{"*/*"}, 200, digestOf(img)},
		{"non-manifest types only", "img", []string{"application/json"}, 200, digestOf(img)},
		{"exact", "img", []string{ociManifest}, 200, digestOf(img)},
		{"one of several values", "img", []string{docker2, ociManifest + ";q=0.9"}, 200, digestOf(img)},
		{"comma list", "multi", []string{ociManifest + ", " + ociIndex}, 200, digestOf(idx)},
		{"type not accepted", "img", []string{docker2}, 404, ""},
		{"index to image for an image-only client", "multi", []string{ociManifest}, 200, digestOf(img)},
		{"index to nothing", "multi", []string{docker2}, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, "GET", "/v2/n/app/manifests/"+tt.ref, "", nil, tt.accept...)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Docker-Content-Digest"); tt.wantDigest != "" && got != tt.wantDigest {
				t.Errorf("digest %s, want %s", got, tt.wantDigest)
			}
			if tt.wantStatus == 404 && !bytes.Contains(rec.Body.Bytes(), []byte("MANIFEST_UNKNOWN")) {
				t.Errorf("body %s lacks MANIFEST_UNKNOWN", rec.Body)
			}
		})
	}
}
