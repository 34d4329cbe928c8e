package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/stream"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerBytes reads a layer's compressed bytes and checks they hash to its digest.
func layerBytes(t testing.TB, l v1.Layer) (v1.Hash, []byte) {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatalf("layer digest: %v", err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatalf("layer %s: compressed: %v", d, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("layer %s: read: %v", d, err)
	}
	if got := sha256Digest(b); got != d.String() {
		t.Fatalf("layer %s: bytes hash to %s", d, got)
	}
	return d, b
}

// sameImage fails t unless got has want's digest, manifest bytes and layer bytes.
func sameImage(t testing.TB, want, got v1.Image) {
	t.Helper()
	wd, err := want.Digest()
	if err != nil {
		t.Fatal(err)
	}
	gd, err := got.Digest()
	if err != nil {
		t.Fatalf("pulled image digest: %v", err)
	}
	if wd != gd {
		t.Fatalf("pulled digest %s, pushed %s", gd, wd)
	}
	wl, err := want.Layers()
	if err != nil {
		t.Fatal(err)
	}
	gl, err := got.Layers()
	if err != nil {
		t.Fatalf("pulled layers: %v", err)
	}
	if len(wl) != len(gl) {
		t.Fatalf("pulled %d layers, pushed %d", len(gl), len(wl))
	}
	for i := range wl {
		wdg, wb := layerBytes(t, wl[i])
		gdg, gb := layerBytes(t, gl[i])
		if wdg != gdg || !bytes.Equal(wb, gb) {
			t.Fatalf("layer %d: pulled %s (%d bytes), pushed %s (%d bytes)", i, gdg, len(gb), wdg, len(wb))
		}
	}
	wc, _ := want.RawConfigFile()
	gc, err := got.RawConfigFile()
	if err != nil {
		t.Fatalf("pulled config: %v", err)
	}
	if !bytes.Equal(wc, gc) {
		t.Fatalf("pulled config differs from pushed")
	}
}

func TestGGCRPushPullMultiLayer(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	for _, tc := range []struct {
		name string
		img  func() (v1.Image, error)
	}{
		// random.Image makes real gzip'd tar layers; staticImage raw random bytes, which keeps
		// the big case cheap under -race (gzip of random data is slow there).
		{"one-small-layer", func() (v1.Image, error) { return random.Image(1<<10, 1) }},
		{"five-layers", func() (v1.Image, error) { return random.Image(128<<10, 5) }},
		{"big-layers", func() (v1.Image, error) { return staticImage(3, 4<<20, 6<<20) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := tc.img()
			if err != nil {
				t.Fatal(err)
			}
			ref := ggcrRef(t, srv, "ggcr/push-"+tc.name+":v1")
			if err := remote.Write(ref, img, remoteOpts(ctx)...); err != nil {
				t.Fatalf("remote.Write %s: %v", ref, err)
			}
			got, err := remote.Image(ref, remoteOpts(ctx)...)
			if err != nil {
				t.Fatalf("remote.Image %s: %v", ref, err)
			}
			sameImage(t, img, got)

			// The registry's view: the manifest bytes are the pushed ones, and digest-addressed.
			want, _ := img.RawManifest()
			d, _ := img.Digest()
			desc, err := remote.Get(ref.Context().Digest(d.String()), remoteOpts(ctx)...)
			if err != nil {
				t.Fatalf("remote.Get by digest: %v", err)
			}
			if !bytes.Equal(desc.Manifest, want) {
				t.Fatalf("manifest by digest differs from pushed:\n%s", cmp.Diff(string(want), string(desc.Manifest)))
			}
			if _, err := checkManifest(ctx, srv, ref.Context().RepositoryStr(), "v1", map[string]bool{}, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGGCRMultiArchIndex(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	idx, err := random.Index(64<<10, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref := ggcrRef(t, srv, "ggcr/index:multi")
	if err := remote.WriteIndex(ref, idx, remoteOpts(ctx)...); err != nil {
		t.Fatalf("remote.WriteIndex: %v", err)
	}
	got, err := remote.Index(ref, remoteOpts(ctx)...)
	if err != nil {
		t.Fatalf("remote.Index: %v", err)
	}
	wd, _ := idx.Digest()
	gd, err := got.Digest()
	if err != nil || gd != wd {
		t.Fatalf("pulled index digest %s (%v), pushed %s", gd, err, wd)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range im.Manifests {
		child, err := remote.Image(ref.Context().Digest(desc.Digest.String()), remoteOpts(ctx)...)
		if err != nil {
			t.Fatalf("pull child %s by digest: %v", desc.Digest, err)
		}
		want, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, want, child)
	}
	if _, err := checkManifest(ctx, srv, ref.Context().RepositoryStr(), "multi", map[string]bool{}, 0); err != nil {
		t.Fatal(err)
	}
}

// TestGGCRStreamingUpload pushes stream layers, whose size and digest are unknown until read:
// ggcr sends them as a streamed PATCH and commits with the digest it computed on the way.
func TestGGCRStreamingUpload(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	contents := [][]byte{randomBytes(t, 3<<20), randomBytes(t, 100<<10)}
	img := empty.Image
	for _, c := range contents {
		var err error
		img, err = mutate.AppendLayers(img, stream.NewLayer(io.NopCloser(bytes.NewReader(c))))
		if err != nil {
			t.Fatal(err)
		}
	}
	ref := ggcrRef(t, srv, "ggcr/stream:v1")
	if err := remote.Write(ref, img, remoteOpts(ctx)...); err != nil {
		t.Fatalf("remote.Write with stream layers: %v", err)
	}
	got, err := remote.Image(ref, remoteOpts(ctx)...)
	if err != nil {
		t.Fatalf("remote.Image: %v", err)
	}
	layers, err := got.Layers()
	if err != nil || len(layers) != len(contents) {
		t.Fatalf("pulled %d layers (%v), want %d", len(layers), err, len(contents))
	}
	for i, l := range layers {
		layerBytes(t, l)
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, contents[i]) {
			t.Fatalf("layer %d: uncompressed content differs (%d bytes, want %d)", i, len(b), len(contents[i]))
		}
	}
}

// TestChunkedUpload drives the chunked upload protocol by hand: POST, several PATCHes with
// Content-Range, a GET of the session's status, and a PUT with the last chunk and the digest.
func TestChunkedUpload(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, time.Minute)
	repo := "raw/chunked-" + uniq(t)
	data := randomBytes(t, 1<<20+123)
	dgst := sha256Digest(data)
	chunks := [][]byte{data[:300<<10], data[300<<10 : 700<<10], data[700<<10 : 900<<10], data[900<<10:]}

	resp, _ := mustDo(t, ctx, http.MethodPost, srv.url()+"/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	loc, err := resolve(srv.url(), resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		t.Fatalf("POST upload: Location %q: %v", resp.Header.Get("Location"), err)
	}
	off := 0
	for i, c := range chunks[:len(chunks)-1] {
		resp, _ = mustDo(t, ctx, http.MethodPatch, loc, c, map[string]string{
			"Content-Type":  "application/octet-stream",
			"Content-Range": fmt.Sprintf("%d-%d", off, off+len(c)-1),
		}, http.StatusAccepted)
		off += len(c)
		if got, want := resp.Header.Get("Range"), fmt.Sprintf("0-%d", off-1); got != want {
			t.Fatalf("PATCH chunk %d: Range %q, want %q", i, got, want)
		}
		if loc, err = resolve(srv.url(), resp.Header.Get("Location")); err != nil {
			t.Fatal(err)
		}
	}
	resp, _ = mustDo(t, ctx, http.MethodGet, loc, nil, nil, http.StatusNoContent)
	if got, want := resp.Header.Get("Range"), fmt.Sprintf("0-%d", off-1); got != want {
		t.Fatalf("GET upload status: Range %q, want %q", got, want)
	}

	// A chunk that does not start at the current offset is refused with 416.
	mustDo(t, ctx, http.MethodPatch, loc, []byte("xx"), map[string]string{
		"Content-Type":  "application/octet-stream",
		"Content-Range": fmt.Sprintf("%d-%d", off+10, off+11),
	}, http.StatusRequestedRangeNotSatisfiable)

	last := chunks[len(chunks)-1]
	put := loc + sep(loc) + "digest=" + dgst
	resp, _ = mustDo(t, ctx, http.MethodPut, put, last, map[string]string{
		"Content-Type":  "application/octet-stream",
		"Content-Range": fmt.Sprintf("%d-%d", off, off+len(last)-1),
	}, http.StatusCreated)
	if got := resp.Header.Get("Docker-Content-Digest"); got != dgst {
		t.Fatalf("PUT: Docker-Content-Digest %q, want %s", got, dgst)
	}
	if err := checkBlob(ctx, srv, repo, descriptorDoc{Digest: dgst, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}

	// A commit with the wrong digest is refused and leaves no blob behind.
	resp, _ = mustDo(t, ctx, http.MethodPost, srv.url()+"/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	loc, _ = resolve(srv.url(), resp.Header.Get("Location"))
	wrong := sha256Digest([]byte("not the content"))
	mustDo(t, ctx, http.MethodPut, loc+sep(loc)+"digest="+wrong, []byte("the content"), map[string]string{
		"Content-Type": "application/octet-stream",
	}, http.StatusBadRequest)
	if st := headBlob(t, ctx, srv, repo, wrong); st != http.StatusNotFound {
		t.Fatalf("HEAD blob after a refused commit: %d, want 404", st)
	}

	// Monolithic: POST ?digest= with the whole body. The spec lets a registry answer 202
	// (no single-request upload) instead of 201; then the client PUTs to the session.
	small := randomBytes(t, 4096)
	hdr := map[string]string{"Content-Type": "application/octet-stream"}
	resp, _ = mustDo(t, ctx, http.MethodPost, srv.url()+"/v2/"+repo+"/blobs/uploads/?digest="+sha256Digest(small), small,
		hdr, http.StatusCreated, http.StatusAccepted)
	if resp.StatusCode == http.StatusAccepted {
		t.Logf("single-POST upload answered 202: finishing with PUT")
		loc, _ = resolve(srv.url(), resp.Header.Get("Location"))
		mustDo(t, ctx, http.MethodPut, loc+sep(loc)+"digest="+sha256Digest(small), small, hdr, http.StatusCreated)
	}
	if err := checkBlob(ctx, srv, repo, descriptorDoc{Digest: sha256Digest(small), Size: 4096}); err != nil {
		t.Fatal(err)
	}
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// TestGGCRCrossRepoMount pushes an image to repo A, then the same image pulled from A to repo
// B: ggcr offers each layer by mount from A. Then it asks for a mount by hand and expects 201.
func TestGGCRCrossRepoMount(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	u := uniq(t)
	repoA, repoB, repoC := "mount/a-"+u, "mount/b-"+u, "mount/c-"+u
	img, err := random.Image(512<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	refA := ggcrRef(t, srv, repoA+":v1")
	if err := remote.Write(refA, img, remoteOpts(ctx)...); err != nil {
		t.Fatalf("push to A: %v", err)
	}
	fromA, err := remote.Image(refA, remoteOpts(ctx)...)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		d, _ := l.Digest()
		if st := headBlob(t, ctx, srv, repoB, d.String()); st != http.StatusNotFound {
			t.Fatalf("HEAD %s in B before the mount: %d, want 404", d, st)
		}
	}
	refB := ggcrRef(t, srv, repoB+":v1")
	if err := remote.Write(refB, fromA, remoteOpts(ctx)...); err != nil {
		t.Fatalf("push to B (with mounts from A): %v", err)
	}
	for _, l := range layers {
		d, _ := l.Digest()
		if st := headBlob(t, ctx, srv, repoB, d.String()); st != http.StatusOK {
			t.Fatalf("HEAD %s in B after the mount: %d, want 200", d, st)
		}
	}
	got, err := remote.Image(refB, remoteOpts(ctx)...)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, img, got)

	d, _ := layers[0].Digest()
	resp, _ := mustDo(t, ctx, http.MethodPost, srv.url()+"/v2/"+repoC+"/blobs/uploads/?mount="+d.String()+"&from="+repoA,
		nil, nil, http.StatusCreated)
	if got := resp.Header.Get("Docker-Content-Digest"); got != d.String() {
		t.Fatalf("mount: Docker-Content-Digest %q, want %s", got, d)
	}
	if st := headBlob(t, ctx, srv, repoC, d.String()); st != http.StatusOK {
		t.Fatalf("HEAD mounted blob in C: %d", st)
	}
	// Mounting a digest that the source repository does not hold is no mount: 202, an upload.
	missing := sha256Digest([]byte("nothing like this was pushed " + u))
	mustDo(t, ctx, http.MethodPost, srv.url()+"/v2/"+repoC+"/blobs/uploads/?mount="+missing+"&from="+repoA,
		nil, nil, http.StatusAccepted)
}

// rawManifest is a remote.Taggable for hand-made manifests.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// artifactManifest builds an OCI artifact manifest with an empty config, one layer and a
// subject, and uploads its blobs.
func artifactManifest(t testing.TB, srv *server, repo, artifactType string, subject v1.Descriptor, payload []byte, opts []remote.Option) []byte {
	t.Helper()
	emptyCfg := []byte("{}")
	for _, b := range []struct {
		data []byte
		mt   types.MediaType
	}{{emptyCfg, mtEmptyJSON}, {payload, "text/plain"}} {
		if err := remote.WriteLayer(ggcrRepo(t, srv, repo), static.NewLayer(b.data, b.mt), opts...); err != nil {
			t.Fatalf("upload artifact blob: %v", err)
		}
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtOCIManifest,
		"artifactType":  artifactType,
		"config":        descriptorDoc{MediaType: mtEmptyJSON, Digest: sha256Digest(emptyCfg), Size: 2},
		"layers":        []descriptorDoc{{MediaType: "text/plain", Digest: sha256Digest(payload), Size: int64(len(payload))}},
		"subject":       descriptorDoc{MediaType: string(subject.MediaType), Digest: subject.Digest.String(), Size: subject.Size},
		"annotations":   map[string]string{"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGGCRReferrers(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	repo := "ggcr/referrers-" + uniq(t)
	opts := remoteOpts(ctx, remote.WithReferrersTagFallback(false))
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	subjRef := ggcrRef(t, srv, repo+":subject")
	if err := remote.Write(subjRef, img, opts...); err != nil {
		t.Fatal(err)
	}
	subj, err := remote.Head(subjRef, opts...)
	if err != nil {
		t.Fatal(err)
	}
	const sigType, sbomType = "application/vnd.berth.test.signature", "application/vnd.berth.test.sbom"

	// Artifact 1 by hand, to see the OCI-Subject header.
	sig := artifactManifest(t, srv, repo, sigType, *subj, []byte("signature"), opts)
	sigDigest := sha256Digest(sig)
	resp, _ := mustDo(t, ctx, http.MethodPut, srv.url()+"/v2/"+repo+"/manifests/"+sigDigest, sig,
		map[string]string{"Content-Type": mtOCIManifest}, http.StatusCreated)
	if got := resp.Header.Get("OCI-Subject"); got != subj.Digest.String() {
		t.Errorf("PUT manifest with subject: OCI-Subject %q, want %s", got, subj.Digest)
	}
	// Artifact 2 through ggcr.
	sbom := artifactManifest(t, srv, repo, sbomType, *subj, []byte("sbom"), opts)
	sbomDigest := sha256Digest(sbom)
	if err := remote.Put(ggcrRef(t, srv, repo+"@"+sbomDigest), rawManifest{sbom, types.OCIManifestSchema1}, opts...); err != nil {
		t.Fatalf("remote.Put artifact: %v", err)
	}

	// Unfiltered: both, as an OCI index with artifactType on each descriptor.
	resp, body := mustDo(t, ctx, http.MethodGet, srv.url()+"/v2/"+repo+"/referrers/"+subj.Digest.String(), nil,
		map[string]string{"Accept": mtOCIIndex}, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != mtOCIIndex {
		t.Errorf("referrers Content-Type %q, want %s", ct, mtOCIIndex)
	}
	var all manifestDoc
	if err := json.Unmarshal(body, &all); err != nil {
		t.Fatalf("decode referrers: %v: %s", err, body)
	}
	got := map[string]string{}
	for _, d := range all.Manifests {
		got[d.Digest] = d.ArtifactType
	}
	want := map[string]string{sigDigest: sigType, sbomDigest: sbomType}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("referrers (-want +got):\n%s", diff)
	}

	// Filtered through ggcr (which filters client-side if the server does not).
	idx, err := remote.Referrers(ggcrDigest(t, srv, repo, subj.Digest), append(opts, remote.WithFilter("artifactType", sigType))...)
	if err != nil {
		t.Fatalf("remote.Referrers: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != sigDigest || im.Manifests[0].ArtifactType != sigType {
		t.Fatalf("referrers filtered by %s: %+v", sigType, im.Manifests)
	}
	// Filtered by the server, when it says so.
	resp, body = mustDo(t, ctx, http.MethodGet, srv.url()+"/v2/"+repo+"/referrers/"+subj.Digest.String()+"?artifactType="+sbomType, nil,
		map[string]string{"Accept": mtOCIIndex}, http.StatusOK)
	if resp.Header.Get("OCI-Filters-Applied") == "artifactType" {
		var f manifestDoc
		if err := json.Unmarshal(body, &f); err != nil {
			t.Fatal(err)
		}
		if len(f.Manifests) != 1 || f.Manifests[0].Digest != sbomDigest {
			t.Fatalf("server-filtered referrers: %s", body)
		}
	} else {
		t.Logf("server did not apply the artifactType filter (OCI-Filters-Applied absent); ggcr filtered client-side")
	}

	// A subject that has no referrers yields an empty index, not 404.
	none := sha256Digest([]byte("no such manifest " + repo))
	_, body = mustDo(t, ctx, http.MethodGet, srv.url()+"/v2/"+repo+"/referrers/"+none, nil,
		map[string]string{"Accept": mtOCIIndex}, http.StatusOK)
	var empty manifestDoc
	if err := json.Unmarshal(body, &empty); err != nil || len(empty.Manifests) != 0 {
		t.Fatalf("referrers of an unknown subject: %s (%v)", body, err)
	}
}

func TestTagsPagination(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, time.Minute)
	repo := "ggcr/paged-" + uniq(t)
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 11 {
		tag := fmt.Sprintf("t%02d", i)
		want = append(want, tag)
		if err := remote.Write(ggcrRef(t, srv, repo+":"+tag), img, remoteOpts(ctx)...); err != nil {
			t.Fatalf("push %s: %v", tag, err)
		}
	}
	all, pages, err := listPaged(ctx, srv, "/v2/"+repo+"/tags/list?n=4", "tags", 20)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Fatalf("paged tags (-want +got), lexical order expected:\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("11 tags with n=4 came in %d pages, want 3", pages)
	}
	// last= starts after the given tag.
	_, body := mustDo(t, ctx, http.MethodGet, srv.url()+"/v2/"+repo+"/tags/list?n=2&last=t05", nil, nil, http.StatusOK)
	var page struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if page.Name != repo || !cmp.Equal(page.Tags, []string{"t06", "t07"}) {
		t.Fatalf("tags/list?n=2&last=t05: %s", body)
	}
	// ggcr's paging agrees.
	tags, err := remote.List(ggcrRepo(t, srv, repo), remoteOpts(ctx, remote.WithPageSize(3))...)
	if err != nil {
		t.Fatalf("remote.List: %v", err)
	}
	if diff := cmp.Diff(want, sortedCopy(tags)); diff != "" {
		t.Fatalf("remote.List (-want +got):\n%s", diff)
	}
	// The catalog pages too, and holds this repository.
	repos, _, err := listPaged(ctx, srv, "/v2/_catalog?n=2", "repositories", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(repos, repo) {
		t.Fatalf("catalog (n=2 pages) lacks %s: %v", repo, repos)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestGGCRDelete(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, time.Minute)
	repo := "ggcr/delete-" + uniq(t)
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	keep, err := random.Image(2048, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ggcrRef(t, srv, repo+":gone"), img, remoteOpts(ctx)...); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ggcrRef(t, srv, repo+":kept"), keep, remoteOpts(ctx)...); err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(ggcrRef(t, srv, repo+"@"+d.String()), remoteOpts(ctx)...); err != nil {
		t.Fatalf("remote.Delete by digest: %v", err)
	}
	for _, ref := range []string{"@" + d.String(), ":gone"} {
		_, err := remote.Head(ggcrRef(t, srv, repo+ref), remoteOpts(ctx)...)
		var terr *transport.Error
		if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
			t.Fatalf("HEAD %s%s after delete: %v, want 404", repo, ref, err)
		}
	}
	tags, err := remote.List(ggcrRepo(t, srv, repo), remoteOpts(ctx)...)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(tags, []string{"kept"}) {
		t.Fatalf("tags after deleting the manifest tagged gone: %v, want [kept]", tags)
	}
	got, err := remote.Image(ggcrRef(t, srv, repo+":kept"), remoteOpts(ctx)...)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, keep, got)
	// Deleting what is not there is 404 (MANIFEST_UNKNOWN).
	_, body := mustDo(t, ctx, http.MethodDelete, srv.url()+"/v2/"+repo+"/manifests/"+d.String(), nil, nil, http.StatusNotFound)
	if !strings.Contains(string(body), "MANIFEST_UNKNOWN") {
		t.Errorf("DELETE of a deleted manifest: body %s, want MANIFEST_UNKNOWN", body)
	}
}

// hashOf returns "sha256:<hex>" of r.
func hashOf(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
