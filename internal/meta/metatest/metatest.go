package metatest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// Run runs the conformance suite against stores made by newStore. newStore
// must return a new, empty, open store for each call and close it (and drop
// whatever backs it) in a t.Cleanup; Run never calls Close. Subtests run in
// parallel, each with its own store.
func Run(t *testing.T, newStore func(t *testing.T) meta.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, newStore func(t *testing.T) meta.Store)
	}{
		{"Blobs", testBlobs},
		{"Uploads", testUploads},
		{"Manifests", testManifests},
		{"Tags", testTags},
		{"Listing", testListing},
		{"Referrers", testReferrers},
		{"Counts", testCounts},
		{"Concurrency", testConcurrency},
		{"Projects", testProjects},
		{"Users", testUsers},
		{"Members", testMembers},
		{"Robots", testRobots},
		{"AccessTokens", testAccessTokens},
		{"Audit", testAudit},
		{"Stats", testStats},
		{"Repositories", testRepositories},
		{"Artifacts", testArtifacts},
		{"GC", testGC},
		{"ImmutableRules", testImmutableRules},
		{"TagHistory", testTagHistory},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, newStore)
		})
	}
}

// subtest is one case of a group: a name and a body that gets its own store.
type subtest struct {
	name string
	run  func(t *testing.T, s meta.Store)
}

// runAll runs each case in parallel on a fresh store.
func runAll(t *testing.T, newStore func(t *testing.T) meta.Store, cases []subtest) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newStore(t))
		})
	}
}

// ctx returns a context that ends with the test, bounded so a hung store
// fails rather than stalls.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// cmpOpts compare records modulo timestamp rounding and nil-vs-empty.
var cmpOpts = []cmp.Option{
	cmpopts.EquateApproxTime(time.Millisecond),
	cmpopts.EquateEmpty(),
}

// diff fails the test if got differs from want.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpOpts...)...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// must fails the test now if err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err matches target with errors.Is.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// wantMissing checks that err is a *meta.MissingReferenceError naming d.
func wantMissing(t *testing.T, err error, d digest.Digest) {
	t.Helper()
	var mr *meta.MissingReferenceError
	if !errors.As(err, &mr) {
		t.Fatalf("err = %v, want *meta.MissingReferenceError", err)
	}
	if mr.Digest != d {
		t.Errorf("missing reference = %s, want %s", mr.Digest, d)
	}
	if !errors.Is(err, meta.ErrMissingReference) {
		t.Errorf("errors.Is(%v, ErrMissingReference) = false", err)
	}
}

// blob commits a blob with content s to repo and returns it.
func blob(t *testing.T, st meta.Store, repo, s string) meta.Blob {
	t.Helper()
	d := digest.FromString(s)
	b, _, err := st.CommitBlob(ctx(t), repo, meta.Blob{Digest: d, Size: int64(len(s)), Location: "blobs/" + d.Encoded()})
	must(t, err)
	return b
}

// manifestOpt changes a manifest built by image or index.
type manifestOpt func(*meta.Manifest)

func withSubject(d digest.Digest) manifestOpt { return func(m *meta.Manifest) { m.Subject = d } }

func withArtifactType(a string) manifestOpt {
	return func(m *meta.Manifest) { m.ArtifactType = a }
}

func withAnnotations(a map[string]string) manifestOpt {
	return func(m *meta.Manifest) { m.Annotations = a }
}

// image returns an image manifest record in repo named by blobs; its payload
// (and so its digest) is derived from seed and the blobs.
func image(repo, seed string, blobs []digest.Digest, opts ...manifestOpt) meta.Manifest {
	return record(repo, "application/vnd.oci.image.manifest.v1+json", seed, blobs, nil, opts)
}

// index returns an image index record in repo over children.
func index(repo, seed string, children []digest.Digest, opts ...manifestOpt) meta.Manifest {
	return record(repo, "application/vnd.oci.image.index.v1+json", seed, nil, children, opts)
}

func record(repo, mediaType, seed string, blobs, children []digest.Digest, opts []manifestOpt) meta.Manifest {
	payload := fmt.Appendf(nil, `{"mediaType":%q,"seed":%q,"blobs":%q,"children":%q}`, mediaType, seed, blobs, children)
	m := meta.Manifest{
		Repository: repo,
		Digest:     digest.FromBytes(payload),
		MediaType:  mediaType,
		Size:       int64(len(payload)),
		Payload:    payload,
		Blobs:      blobs,
		Children:   children,
	}
	for _, o := range opts {
		o(&m)
	}
	return m
}

// readBack is how a stored manifest compares with what was put: reads do not
// return the edge lists (they are in the payload) and CreatedAt is set by
// the store.
var readBack = cmpopts.IgnoreFields(meta.Manifest{}, "Blobs", "Children", "CreatedAt")

// pushImage commits one blob for the image in repo and puts the manifest with
// tag (none if ""), returning the record.
func pushImage(t *testing.T, st meta.Store, repo, seed, tag string, opts ...manifestOpt) meta.Manifest {
	t.Helper()
	b := blob(t, st, repo, "layer of "+seed)
	m := image(repo, seed, []digest.Digest{b.Digest}, opts...)
	must(t, st.PutManifest(ctx(t), m, tag))
	return m
}
