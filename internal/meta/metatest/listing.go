package metatest

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// byteOrderNames are valid tags chosen so that byte order differs from
// case-insensitive, locale and numeric orders.
var byteOrderNames = []string{"b", "a", "B", "A", "a-1", "a.1", "a_1", "a1", "Z9", "z", "10", "9", "_x", "a-", "aa"}

func testListing(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"TagsUnknownRepository", func(t *testing.T, s meta.Store) {
			_, err := s.ListTags(ctx(t), "nope", meta.Page{})
			wantErr(t, "ListTags", err, meta.ErrNotFound)
		}},
		{"TagsEmptyRepository", func(t *testing.T, s meta.Store) {
			blob(t, s, "r", "only a blob")
			tags, err := s.ListTags(ctx(t), "r", meta.Page{})
			must(t, err)
			diff(t, "ListTags", []string(nil), tags)
		}},
		{"TagsPagination", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "r", "m", "")
			for _, tag := range byteOrderNames {
				must(t, s.PutManifest(ctx(t), m, tag))
			}
			pushImage(t, s, "other", "o", "zzz") // not listed under r
			sorted := slices.Clone(byteOrderNames)
			sort.Strings(sorted)
			cases := []struct {
				name string
				p    meta.Page
				want []string
			}{
				{"all", meta.Page{}, sorted},
				{"negative n is unlimited", meta.Page{N: -1}, sorted},
				{"first page", meta.Page{N: 3}, sorted[:3]},
				{"exact size", meta.Page{N: len(sorted)}, sorted},
				{"more than all", meta.Page{N: 1000}, sorted},
				{"after an entry", meta.Page{Last: "a", N: 2}, after(sorted, "a")[:2]},
				{"after an absent name", meta.Page{Last: "a0", N: 0}, after(sorted, "a0")},
				{"after upper case", meta.Page{Last: "Z9"}, after(sorted, "Z9")},
				{"after the last", meta.Page{Last: sorted[len(sorted)-1]}, nil},
				{"after everything", meta.Page{Last: "~"}, nil},
			}
			for _, c := range cases {
				got, err := s.ListTags(ctx(t), "r", c.p)
				must(t, err)
				diff(t, "ListTags "+c.name, c.want, got)
			}
			diff(t, "ListTags walked two at a time", sorted, walk(t, func(p meta.Page) ([]string, error) {
				return s.ListTags(ctx(t), "r", p)
			}, 2))
		}},
		{"Repositories", func(t *testing.T, s meta.Store) {
			if got, err := s.ListRepositories(ctx(t), meta.Page{}); err != nil || len(got) != 0 {
				t.Fatalf("ListRepositories of an empty store = %v, %v", got, err)
			}
			names := []string{"b", "a/x", "a", "a-b", "a.b", "a_b", "a/x/y", "z0", "0"}
			for _, n := range names {
				pushImage(t, s, n, "in "+n, "latest")
			}
			blob(t, s, "blobs-only", "no manifest")
			gone := pushImage(t, s, "emptied", "deleted", "")
			must(t, s.DeleteManifest(ctx(t), "emptied", gone.Digest))
			u := upload("u", "uploads-only", t0Listing)
			must(t, s.CreateUpload(ctx(t), u))

			sorted := slices.Clone(names)
			sort.Strings(sorted)
			cases := []struct {
				name string
				p    meta.Page
				want []string
			}{
				{"all", meta.Page{}, sorted},
				{"first", meta.Page{N: 1}, sorted[:1]},
				{"after a", meta.Page{Last: "a", N: 3}, after(sorted, "a")[:3]},
				{"after a/x", meta.Page{Last: "a/x"}, after(sorted, "a/x")},
				{"after the last", meta.Page{Last: sorted[len(sorted)-1]}, nil},
			}
			for _, c := range cases {
				got, err := s.ListRepositories(ctx(t), c.p)
				must(t, err)
				diff(t, "ListRepositories "+c.name, c.want, got)
			}
			diff(t, "ListRepositories walked", sorted, walk(t, func(p meta.Page) ([]string, error) {
				return s.ListRepositories(ctx(t), p)
			}, 4))
			for _, c := range []struct {
				repo string
				want bool
			}{{"a/x", true}, {"blobs-only", true}, {"emptied", true}, {"a/x/y/z", false}, {"A", false}, {"uploads-only", false}} {
				got, err := s.RepositoryExists(ctx(t), c.repo)
				must(t, err)
				if got != c.want {
					t.Errorf("RepositoryExists(%q) = %v, want %v", c.repo, got, c.want)
				}
			}
		}},
	})
}

// t0Listing is a fixed time for records whose time does not matter.
var t0Listing = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// after returns the entries of sorted strictly after last.
func after(sorted []string, last string) []string {
	i := sort.SearchStrings(sorted, last)
	if i < len(sorted) && sorted[i] == last {
		i++
	}
	return sorted[i:]
}

// walk pages through a listing n at a time, bounded.
func walk(t *testing.T, list func(meta.Page) ([]string, error), n int) []string {
	t.Helper()
	var all []string
	p := meta.Page{N: n}
	for range 1000 {
		page, err := list(p)
		must(t, err)
		if len(page) > n {
			t.Fatalf("page of %d entries, asked for %d", len(page), n)
		}
		all = append(all, page...)
		if len(page) < n {
			return all
		}
		p.Last = page[len(page)-1]
	}
	t.Fatal("listing did not end")
	return nil
}

func testReferrers(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"List", func(t *testing.T, s meta.Store) {
			subject := pushImage(t, s, "r", "subject", "latest")
			sig := pushImage(t, s, "r", "signature", "", withSubject(subject.Digest),
				withArtifactType("application/vnd.example.signature"),
				withAnnotations(map[string]string{"created": "now"}))
			sbom1 := pushImage(t, s, "r", "sbom 1", "", withSubject(subject.Digest),
				withArtifactType("application/vnd.example.sbom"))
			sbom2 := pushImage(t, s, "r", "sbom 2", "", withSubject(subject.Digest),
				withArtifactType("application/vnd.example.sbom"),
				withAnnotations(map[string]string{"a": "1", "b": "2"}))
			idxRef := index("r", "index referrer", []digest.Digest{sbom1.Digest}, withSubject(subject.Digest))
			must(t, s.PutManifest(ctx(t), idxRef, ""))
			// Not referrers of subject in r:
			pushImage(t, s, "r", "other subject", "", withSubject(sig.Digest))
			elsewhere := pushImage(t, s, "other", "subject in other", "")
			pushImage(t, s, "other", "sig elsewhere", "", withSubject(elsewhere.Digest))

			desc := func(m meta.Manifest) meta.Descriptor {
				return meta.Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: m.Size,
					ArtifactType: m.ArtifactType, Annotations: m.Annotations}
			}
			all := []meta.Descriptor{desc(sig), desc(sbom1), desc(sbom2), desc(idxRef)}
			sort.Slice(all, func(i, j int) bool { return all[i].Digest < all[j].Digest })
			var sboms []meta.Descriptor
			for _, d := range all {
				if d.ArtifactType == "application/vnd.example.sbom" {
					sboms = append(sboms, d)
				}
			}
			cases := []struct {
				name, repo   string
				subject      digest.Digest
				artifactType string
				want         []meta.Descriptor
			}{
				{"all", "r", subject.Digest, "", all},
				{"filtered", "r", subject.Digest, "application/vnd.example.sbom", sboms},
				{"filtered to one", "r", subject.Digest, "application/vnd.example.signature", []meta.Descriptor{desc(sig)}},
				{"unknown artifact type", "r", subject.Digest, "application/unknown", nil},
				{"unknown subject", "r", digest.FromString("nothing"), "", nil},
				{"unknown repository", "nope", subject.Digest, "", nil},
				{"other repository", "other", subject.Digest, "", nil},
			}
			for _, c := range cases {
				got, err := s.Referrers(ctx(t), c.repo, c.subject, c.artifactType)
				must(t, err)
				diff(t, "Referrers "+c.name, c.want, got)
			}
			// Deleting a referrer removes it from the list.
			must(t, s.DeleteManifest(ctx(t), "r", sig.Digest))
			got, err := s.Referrers(ctx(t), "r", subject.Digest, "application/vnd.example.signature")
			must(t, err)
			diff(t, "Referrers after delete", []meta.Descriptor(nil), got)
		}},
		{"SubjectPushedLater", func(t *testing.T, s meta.Store) {
			// The subject need not exist in the repository (yet).
			future := digest.FromString("not pushed yet")
			ref := pushImage(t, s, "r", "early referrer", "", withSubject(future))
			got, err := s.Referrers(ctx(t), "r", future, "")
			must(t, err)
			if len(got) != 1 || got[0].Digest != ref.Digest {
				t.Errorf("Referrers = %+v, want just %s", got, ref.Digest)
			}
		}},
	})
}

func testCounts(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"Totals", func(t *testing.T, s meta.Store) {
			c, err := s.Counts(ctx(t))
			must(t, err)
			diff(t, "Counts of an empty store", meta.Counts{}, c)
			must(t, s.Ping(ctx(t)))

			pushImage(t, s, "a", "one", "latest") // blob "layer of one" (12 bytes)
			pushImage(t, s, "a", "two", "")       // blob "layer of two" (12 bytes)
			blob(t, s, "b", "layer of one")       // same digest: no new blob
			blob(t, s, "c", "xyz")                // 3 bytes
			must(t, s.CreateUpload(ctx(t), upload("u1", "a", t0Listing)))
			must(t, s.CreateUpload(ctx(t), upload("u2", "d", t0Listing)))
			c, err = s.Counts(ctx(t))
			must(t, err)
			diff(t, "Counts", meta.Counts{Repositories: 3, Manifests: 2, Blobs: 3, BlobBytes: 27, Uploads: 2}, c)

			must(t, s.DeleteUpload(ctx(t), "a", "u1"))
			c, err = s.Counts(ctx(t))
			must(t, err)
			if c.Uploads != 1 {
				t.Errorf("Counts.Uploads after delete = %d, want 1", c.Uploads)
			}
		}},
	})
}
