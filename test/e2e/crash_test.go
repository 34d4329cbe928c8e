package e2e

import (
	"context"
	crand "crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Bounds of the crash test: every loop below stops by itself.
const (
	crashCycles      = 3
	crashWorkers     = 8
	crashMaxPerCycle = 40 // images one worker pushes at most in one cycle
	crashMaxErrors   = 5  // unexpected push errors reported before the rest are only counted
)

// TestCrashRecovery pushes from 8 goroutines, kills the server with SIGKILL mid-push, restarts
// it on the same data dir and proves the store consistent: every tag in every repository
// resolves to a manifest that GETs whole and hashes to its Docker-Content-Digest, and every
// blob it (or an index's child) names GETs whole and hashes to its digest. Every push the
// server acknowledged before the kill must still be there, with the same digest.
func TestCrashRecovery(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t, 6*time.Minute)

	var mu sync.Mutex
	acked := map[string]string{} // "repo:tag" -> manifest digest, for pushes that returned nil

	for cycle := 1; cycle <= crashCycles; cycle++ {
		var (
			pushCtx, cancel = context.WithCancel(ctx)
			killing         atomic.Bool
			wg              sync.WaitGroup
			ok, lost, bad   atomic.Int64
		)
		for w := range crashWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				repo := fmt.Sprintf("crash/w%d", w)
				for i := range crashMaxPerCycle {
					if pushCtx.Err() != nil {
						return
					}
					img, err := staticImage(2+mrand.IntN(3), 16<<10, 768<<10)
					if err != nil {
						t.Error(err)
						return
					}
					d, err := img.Digest()
					if err != nil {
						t.Error(err)
						return
					}
					tag := fmt.Sprintf("c%d-%03d", cycle, i)
					ref, err := name.ParseReference(srv.addr+"/"+repo+":"+tag, name.Insecure)
					if err != nil {
						t.Error(err)
						return
					}
					err = remote.Write(ref, img, remoteOpts(pushCtx)...)
					switch {
					case err == nil:
						ok.Add(1)
						mu.Lock()
						acked[repo+":"+tag] = d.String()
						mu.Unlock()
					case killing.Load() || pushCtx.Err() != nil:
						lost.Add(1)
						return
					default:
						if bad.Add(1) <= crashMaxErrors {
							t.Errorf("cycle %d: push %s:%s failed while the server was up: %v", cycle, repo, tag, err)
						}
					}
				}
			}()
		}
		time.Sleep(2*time.Second + time.Duration(mrand.IntN(1000))*time.Millisecond)
		killing.Store(true)
		srv.kill9()
		cancel()
		wg.Wait()
		t.Logf("cycle %d: killed with SIGKILL after %d acknowledged pushes (%d interrupted, %d failed while up)",
			cycle, ok.Load(), lost.Load(), bad.Load())
		if ok.Load() == 0 {
			t.Errorf("cycle %d: no push completed before the kill", cycle)
		}

		if err := srv.restart(); err != nil {
			t.Fatalf("cycle %d: restart on the same data dir: %v", cycle, err)
		}
		found, err := checkWholeRegistry(ctx, srv)
		if err != nil {
			t.Fatalf("cycle %d: after restart: %v", cycle, err)
		}
		mu.Lock()
		missing := 0
		for k, d := range acked {
			if found[k] != d {
				if missing++; missing <= crashMaxErrors {
					t.Errorf("cycle %d: acknowledged push %s (%s) after restart: got %q", cycle, k, d, found[k])
				}
			}
		}
		t.Logf("cycle %d: after restart %d tags verified whole, %d acknowledged, %d acknowledged missing",
			cycle, len(found), len(acked), missing)
		mu.Unlock()
		if t.Failed() {
			return
		}
	}

	// The store still takes pushes after the crashes.
	img, err := random.Image(256<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref := ggcrRef(t, srv, "crash/after:v1")
	if err := remote.Write(ref, img, remoteOpts(ctx)...); err != nil {
		t.Fatalf("push after the crashes: %v", err)
	}
	got, err := remote.Image(ref, remoteOpts(ctx)...)
	if err != nil {
		t.Fatalf("pull after the crashes: %v", err)
	}
	sameImage(t, img, got)
}

// TestUploadResumesAfterCrash starts a chunked upload, sends one PATCH, kills the server with
// SIGKILL, restarts it on the same data dir and finishes the same upload session: GET the
// upload URL for its Range, PATCH the rest, PUT with the digest, HEAD the blob.
func TestUploadResumesAfterCrash(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t, 2*time.Minute)
	repo := "crash/resume"
	data := randomBytes(t, 2<<20+77)
	half := 1 << 20
	dgst := sha256Digest(data)

	resp, _ := mustDo(t, ctx, http.MethodPost, srv.url()+"/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		t.Fatalf("POST upload: Location %q: %v", resp.Header.Get("Location"), err)
	}
	resp, _ = mustDo(t, ctx, http.MethodPatch, srv.url()+loc.RequestURI(), data[:half], map[string]string{
		"Content-Type":  "application/octet-stream",
		"Content-Range": fmt.Sprintf("0-%d", half-1),
	}, http.StatusAccepted)
	if got, want := resp.Header.Get("Range"), fmt.Sprintf("0-%d", half-1); got != want {
		t.Fatalf("PATCH: Range %q, want %q", got, want)
	}
	if l := resp.Header.Get("Location"); l != "" {
		if loc, err = url.Parse(l); err != nil {
			t.Fatal(err)
		}
	}

	srv.kill9()
	if err := srv.restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	// Same path and query on the restarted server (same address when the port was free).
	upload := srv.url() + loc.RequestURI()

	resp, body := mustDo(t, ctx, http.MethodGet, upload, nil, nil, http.StatusNoContent, http.StatusNotFound)
	if resp.StatusCode == http.StatusNotFound {
		t.Fatalf("upload session did not survive SIGKILL + restart: GET %s: 404 %s", upload, body)
	}
	rng := resp.Header.Get("Range")
	end, err := rangeEnd(rng)
	if err != nil {
		t.Fatalf("GET upload status after restart: Range %q: %v", rng, err)
	}
	// The server may have kept all of the first chunk or, at worst, a prefix of it; resume there.
	if end+1 > half {
		t.Fatalf("GET upload status after restart: Range %q, but only %d bytes were sent", rng, half)
	}
	if end+1 < half {
		t.Logf("server kept %d of the %d bytes sent before the kill; resuming from there", end+1, half)
	}
	off := end + 1
	if l := resp.Header.Get("Location"); l != "" {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		upload = srv.url() + u.RequestURI()
	}
	resp, _ = mustDo(t, ctx, http.MethodPatch, upload, data[off:], map[string]string{
		"Content-Type":  "application/octet-stream",
		"Content-Range": fmt.Sprintf("%d-%d", off, len(data)-1),
	}, http.StatusAccepted)
	if l := resp.Header.Get("Location"); l != "" {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		upload = srv.url() + u.RequestURI()
	}
	resp, _ = mustDo(t, ctx, http.MethodPut, upload+sep(upload)+"digest="+dgst, nil, nil, http.StatusCreated)
	if got := resp.Header.Get("Docker-Content-Digest"); got != dgst {
		t.Fatalf("PUT: Docker-Content-Digest %q, want %s", got, dgst)
	}
	resp, _ = mustDo(t, ctx, http.MethodHead, srv.url()+"/v2/"+repo+"/blobs/"+dgst, nil, nil, http.StatusOK)
	if resp.ContentLength != int64(len(data)) {
		t.Fatalf("HEAD blob: Content-Length %d, want %d", resp.ContentLength, len(data))
	}
	if err := checkBlob(ctx, srv, repo, descriptorDoc{Digest: dgst, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
}

// rangeEnd parses an upload Range header "0-N" and returns N; -1 when the header is absent
// (nothing received yet).
func rangeEnd(h string) (int, error) {
	if h == "" {
		return -1, nil
	}
	var a, b string
	for i := 0; i < len(h); i++ {
		if h[i] == '-' {
			a, b = h[:i], h[i+1:]
			break
		}
	}
	if a != "0" {
		return 0, fmt.Errorf("want 0-N")
	}
	return strconv.Atoi(b)
}

// staticImage builds an OCI image of n layers of random bytes, each between minSize and
// maxSize. The layers are not gzip (the registry stores bytes, it does not unpack them), which
// keeps image making cheap under -race so that the pushers spend their time on the wire.
func staticImage(n, minSize, maxSize int) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	layers := make([]v1.Layer, n)
	for i := range layers {
		b := make([]byte, minSize+mrand.IntN(maxSize-minSize+1))
		if _, err := crand.Read(b); err != nil {
			return nil, err
		}
		layers[i] = static.NewLayer(b, types.OCILayer)
	}
	return mutate.AppendLayers(img, layers...)
}
