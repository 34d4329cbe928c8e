package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berth-oci/berth/internal/config"
)

// BenchmarkManifestGet measures the server-side cost of GET manifest by tag
// through the whole handler tree (middleware, routing, SQLite), without the
// network.
func BenchmarkManifestGet(b *testing.B) {
	cfg := config.Default().WithDataDir(b.TempDir())
	srv, err := New(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	do := func(method, path, ct string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	cfgBlob := []byte(`{"architecture":"amd64","os":"linux"}`)
	d := fmt.Sprintf("sha256:%x", sha256.Sum256(cfgBlob))
	if rec := do("POST", "/v2/bench/app/blobs/uploads/?digest="+d, "application/octet-stream", cfgBlob); rec.Code != http.StatusCreated {
		b.Fatalf("blob push: %d %s", rec.Code, rec.Body)
	}
	mf := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[]}`, d, len(cfgBlob))
	if rec := do("PUT", "/v2/bench/app/manifests/latest", "application/vnd.oci.image.manifest.v1+json", []byte(mf)); rec.Code != http.StatusCreated {
		b.Fatalf("manifest push: %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/v2/bench/app/manifests/latest", nil)
			req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET: %d", rec.Code)
			}
		}
	})
}
