package metatest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// contentFixture is a small tree of content: project p1 (public) with
// repositories p1/a (an index of two images, a referrer of it, an untagged
// image) and p1/b, project p2 (private) with p2/c, and p1/blobs holding
// only a blob.
type contentFixture struct {
	index, child1, child2, referrer, untagged, b, c meta.Manifest
	layerSize                                       int64
}

func pushAt(t *testing.T, s meta.Store, m meta.Manifest, tag string, at time.Time) meta.Manifest {
	t.Helper()
	m.CreatedAt = at
	must(t, s.PutManifest(ctx(t), m, tag))
	return m
}

func newContentFixture(t *testing.T, s meta.Store) contentFixture {
	t.Helper()
	c := ctx(t)
	_, err := s.CreateProject(c, meta.Project{Name: "p1", Public: true})
	must(t, err)
	_, err = s.CreateProject(c, meta.Project{Name: "p2"})
	must(t, err)
	var f contentFixture
	l1 := blob(t, s, "p1/a", "layer one")
	l2 := blob(t, s, "p1/a", "layer two!")
	f.layerSize = l1.Size
	f.child1 = pushAt(t, s, image("p1/a", "amd64", []digest.Digest{l1.Digest}), "", t0.Add(1*time.Minute))
	f.child2 = pushAt(t, s, image("p1/a", "arm64", []digest.Digest{l2.Digest}), "", t0.Add(2*time.Minute))
	f.index = pushAt(t, s, index("p1/a", "multi", []digest.Digest{f.child1.Digest, f.child2.Digest}), "latest", t0.Add(3*time.Minute))
	must(t, s.PutManifest(c, f.index, "v1.0"))
	f.referrer = pushAt(t, s, image("p1/a", "sbom", []digest.Digest{l1.Digest}, withSubject(f.index.Digest)), "", t0.Add(4*time.Minute))
	f.untagged = pushAt(t, s, image("p1/a", "old", []digest.Digest{l2.Digest}), "", t0.Add(5*time.Minute))
	f.b = pushAt(t, s, image("p1/b", "b", []digest.Digest{blob(t, s, "p1/b", "b layer").Digest}), "dev", t0.Add(6*time.Minute))
	f.c = pushAt(t, s, image("p2/c", "c", []digest.Digest{blob(t, s, "p2/c", "c layer").Digest}), "prod", t0.Add(7*time.Minute))
	blob(t, s, "p1/blobs", "only a blob")
	return f
}

func repoNames(rs []meta.Repository) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func artifactDigests(as []meta.Artifact) []digest.Digest {
	var out []digest.Digest
	for _, a := range as {
		out = append(out, a.Digest)
	}
	return out
}

func testRepositories(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"ListAndCount", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			f := newContentFixture(t, s)
			must(t, s.RecordPulls(c, meta.Pull{Repository: "p1/a", Digest: f.index.Digest, At: t0, Count: 3},
				meta.Pull{Repository: "p1/a", Digest: f.child1.Digest, At: t0, Count: 2}))
			cases := []struct {
				name string
				f    meta.RepositoryFilter
				w    meta.Window
				want []string
			}{
				{"all", meta.RepositoryFilter{}, meta.Window{}, []string{"p1/a", "p1/b", "p2/c"}},
				{"project", meta.RepositoryFilter{Project: "p1"}, meta.Window{}, []string{"p1/a", "p1/b"}},
				{"public scope", meta.RepositoryFilter{Scope: &meta.ProjectScope{Public: true}}, meta.Window{}, []string{"p1/a", "p1/b"}},
				{"named scope", meta.RepositoryFilter{Scope: &meta.ProjectScope{Names: []string{"p2"}}}, meta.Window{}, []string{"p2/c"}},
				{"both scope", meta.RepositoryFilter{Scope: &meta.ProjectScope{Public: true, Names: []string{"p2"}}}, meta.Window{}, []string{"p1/a", "p1/b", "p2/c"}},
				{"empty scope", meta.RepositoryFilter{Scope: &meta.ProjectScope{}}, meta.Window{}, nil},
				{"all scope", meta.RepositoryFilter{Scope: &meta.ProjectScope{All: true}}, meta.Window{}, []string{"p1/a", "p1/b", "p2/c"}},
				{"contains", meta.RepositoryFilter{NameContains: "/b"}, meta.Window{}, []string{"p1/b"}},
				{"exact", meta.RepositoryFilter{Name: "p2/c"}, meta.Window{}, []string{"p2/c"}},
				{"window", meta.RepositoryFilter{}, meta.Window{Offset: 1, Limit: 1}, []string{"p1/b"}},
				{"offset only", meta.RepositoryFilter{}, meta.Window{Offset: 2}, []string{"p2/c"}},
				{"newest first", meta.RepositoryFilter{Sort: meta.SortByUpdateDesc}, meta.Window{}, []string{"p2/c", "p1/b", "p1/a"}},
				{"name desc", meta.RepositoryFilter{Sort: meta.SortByNameDesc}, meta.Window{}, []string{"p2/c", "p1/b", "p1/a"}},
				{"most pulled", meta.RepositoryFilter{Sort: meta.SortByPullCountDesc}, meta.Window{Limit: 1}, []string{"p1/a"}},
			}
			for _, tc := range cases {
				got, err := s.ListRepositoryRecords(c, tc.f, tc.w)
				must(t, err)
				diff(t, "ListRepositoryRecords "+tc.name, tc.want, repoNames(got))
				n, err := s.CountRepositoryRecords(c, tc.f)
				must(t, err)
				if tc.w == (meta.Window{}) && n != int64(len(tc.want)) {
					t.Errorf("CountRepositoryRecords %s = %d, want %d", tc.name, n, len(tc.want))
				}
			}
			_, err := s.ListRepositoryRecords(c, meta.RepositoryFilter{Sort: "bogus"}, meta.Window{})
			wantErr(t, "bad sort", err, meta.ErrInvalid)

			got, err := s.GetRepositoryRecord(c, "p1/a")
			must(t, err)
			want := meta.Repository{ID: got.ID, Name: "p1/a", Project: "p1", ArtifactCount: 2, PullCount: 5,
				CreatedAt: got.CreatedAt, UpdatedAt: t0.Add(5 * time.Minute)}
			diff(t, "GetRepositoryRecord", want, got)
			blobsOnly, err := s.GetRepositoryRecord(c, "p1/blobs")
			must(t, err)
			if blobsOnly.ArtifactCount != 0 || !blobsOnly.UpdatedAt.Equal(blobsOnly.CreatedAt) {
				t.Errorf("blob-only repository = %+v", blobsOnly)
			}
			wantErr(t, "GetRepositoryRecord missing", second(s.GetRepositoryRecord(c, "p1/none")), meta.ErrNotFound)

			counts, err := s.RepositoryCounts(c, []string{"p1", "p2", "p3"})
			must(t, err)
			diff(t, "RepositoryCounts", map[string]int64{"p1": 2, "p2": 1}, counts)
		}},
		{"Describe", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			newContentFixture(t, s)
			must(t, s.SetRepositoryDescription(c, "p1/b", "the b service"))
			got, err := s.GetRepositoryRecord(c, "p1/b")
			must(t, err)
			if got.Description != "the b service" {
				t.Errorf("Description = %q", got.Description)
			}
			wantErr(t, "SetRepositoryDescription missing", s.SetRepositoryDescription(c, "p1/zz", "x"), meta.ErrNotFound)
		}},
		{"Usage", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			f := newContentFixture(t, s)
			u, err := s.ProjectUsage(c, "p2")
			must(t, err)
			want := meta.ProjectUsage{RepoCount: 1, StorageBytes: int64(len("c layer")) + f.c.Size}
			diff(t, "ProjectUsage p2", want, u)
			u, err = s.ProjectUsage(c, "none")
			must(t, err)
			diff(t, "ProjectUsage none", meta.ProjectUsage{}, u)
		}},
		{"Delete", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			f := newContentFixture(t, s)
			must(t, s.RecordPull(c, "p1/a", f.index.Digest, t0))
			deleted, err := s.DeleteRepository(c, "p1/a")
			must(t, err)
			want := []digest.Digest{f.index.Digest, f.child1.Digest, f.child2.Digest, f.referrer.Digest, f.untagged.Digest}
			diff(t, "deleted", want, deleted, cmpopts.SortSlices(func(a, b digest.Digest) bool { return a < b }))
			wantErr(t, "GetRepositoryRecord deleted", second(s.GetRepositoryRecord(c, "p1/a")), meta.ErrNotFound)
			wantErr(t, "GetManifest deleted", second(s.GetManifest(c, "p1/a", f.index.Digest)), meta.ErrNotFound)
			wantErr(t, "ResolveTag deleted", second(s.ResolveTag(c, "p1/a", "latest")), meta.ErrNotFound)
			l1 := digest.FromString("layer one")
			must(t, second(s.GetBlob(c, l1)))
			wantErr(t, "RepoBlob deleted", second(s.RepoBlob(c, "p1/a", l1)), meta.ErrNotFound)
			_, err = s.DeleteRepository(c, "p1/a")
			wantErr(t, "DeleteRepository again", err, meta.ErrNotFound)
			// The rest is untouched and the repository can be pushed again.
			must(t, second(s.GetManifest(c, "p1/b", f.b.Digest)))
			pushImage(t, s, "p1/a", "again", "latest")
			// The project is now deletable once its repositories are empty.
			_, err = s.DeleteRepository(c, "p1/a")
			must(t, err)
			_, err = s.DeleteRepository(c, "p1/b")
			must(t, err)
			p, err := s.GetProjectByName(c, "p1")
			must(t, err)
			must(t, s.DeleteProject(c, p.ID))
		}},
	})
}

func testArtifacts(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"List", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			f := newContentFixture(t, s)
			pulled := t0.Add(time.Hour)
			must(t, s.RecordPulls(c, meta.Pull{Repository: "p1/a", Digest: f.untagged.Digest, At: pulled, Count: 2}))
			yes, no := true, false
			cases := []struct {
				name string
				f    meta.ArtifactFilter
				w    meta.Window
				want []digest.Digest
			}{
				{"top level, newest first", meta.ArtifactFilter{}, meta.Window{}, []digest.Digest{f.untagged.Digest, f.index.Digest}},
				{"oldest first", meta.ArtifactFilter{Sort: meta.SortByPushTime}, meta.Window{}, []digest.Digest{f.index.Digest, f.untagged.Digest}},
				{"pulled first", meta.ArtifactFilter{Sort: meta.SortByPullTimeDesc}, meta.Window{}, []digest.Digest{f.untagged.Digest, f.index.Digest}},
				{"pulled first ascending", meta.ArtifactFilter{Sort: meta.SortByPullTime}, meta.Window{}, []digest.Digest{f.untagged.Digest, f.index.Digest}},
				{"window", meta.ArtifactFilter{}, meta.Window{Offset: 1, Limit: 5}, []digest.Digest{f.index.Digest}},
				{"tag", meta.ArtifactFilter{Tag: "v1.0"}, meta.Window{}, []digest.Digest{f.index.Digest}},
				{"tag absent", meta.ArtifactFilter{Tag: "v2"}, meta.Window{}, nil},
				{"tag contains", meta.ArtifactFilter{TagContains: "ates"}, meta.Window{}, []digest.Digest{f.index.Digest}},
				{"tagged", meta.ArtifactFilter{Tagged: &yes}, meta.Window{}, []digest.Digest{f.index.Digest}},
				{"untagged", meta.ArtifactFilter{Tagged: &no}, meta.Window{}, []digest.Digest{f.untagged.Digest}},
				{"child by digest", meta.ArtifactFilter{Digest: f.child1.Digest}, meta.Window{}, []digest.Digest{f.child1.Digest}},
				{"media type", meta.ArtifactFilter{MediaType: f.index.MediaType}, meta.Window{}, []digest.Digest{f.index.Digest}},
			}
			for _, tc := range cases {
				got, err := s.ListArtifacts(c, "p1/a", tc.f, tc.w)
				must(t, err)
				diff(t, "ListArtifacts "+tc.name, tc.want, artifactDigests(got))
				if tc.w == (meta.Window{}) {
					n, err := s.CountArtifacts(c, "p1/a", tc.f)
					must(t, err)
					if n != int64(len(tc.want)) {
						t.Errorf("CountArtifacts %s = %d, want %d", tc.name, n, len(tc.want))
					}
				}
			}
			_, err := s.ListArtifacts(c, "p1/a", meta.ArtifactFilter{Sort: "bogus"}, meta.Window{})
			wantErr(t, "bad sort", err, meta.ErrInvalid)
			none, err := s.ListArtifacts(c, "p1/none", meta.ArtifactFilter{}, meta.Window{})
			must(t, err)
			diff(t, "ListArtifacts unknown repository", []meta.Artifact(nil), none)

			all, err := s.ListArtifacts(c, "p1/a", meta.ArtifactFilter{}, meta.Window{})
			must(t, err)
			idx, old := all[1], all[0]
			diff(t, "index tags", []meta.ArtifactTag{
				{Name: "latest", Digest: f.index.Digest, PushedAt: idx.Tags[0].PushedAt},
				{Name: "v1.0", Digest: f.index.Digest, PushedAt: idx.Tags[1].PushedAt},
			}, idx.Tags)
			if idx.PushedAt.Sub(t0.Add(3*time.Minute)).Abs() > time.Millisecond || idx.MediaType != f.index.MediaType ||
				string(idx.Payload) != string(f.index.Payload) || idx.ManifestSize != f.index.Size {
				t.Errorf("index artifact = %+v", idx)
			}
			wantSize := f.index.Size + f.child1.Size + f.child2.Size + int64(len("layer one")+len("layer two!"))
			if idx.Size != wantSize {
				t.Errorf("index size = %d, want %d", idx.Size, wantSize)
			}
			if old.PullCount != 2 || !old.PulledAt.Equal(pulled) || len(old.Tags) != 0 || !idx.PulledAt.IsZero() {
				t.Errorf("pull statistics: untagged %+v, index pulled at %v", old, idx.PulledAt)
			}

			got, err := s.GetArtifact(c, "p1/a", f.referrer.Digest)
			must(t, err)
			if got.Subject != f.index.Digest || got.Digest != f.referrer.Digest {
				t.Errorf("GetArtifact referrer = %+v", got)
			}
			wantErr(t, "GetArtifact missing", second(s.GetArtifact(c, "p1/b", f.index.Digest)), meta.ErrNotFound)

			children, err := s.ListChildArtifacts(c, "p1/a", f.index.Digest)
			must(t, err)
			want := []digest.Digest{f.child1.Digest, f.child2.Digest}
			diff(t, "ListChildArtifacts", want, artifactDigests(children), cmpopts.SortSlices(func(a, b digest.Digest) bool { return a < b }))
		}},
		{"TaggedChildIsListed", func(t *testing.T, s meta.Store) {
			// A platform image pushed by tag and also named by an index
			// stays a top-level artifact, so its tag is never hidden.
			c := ctx(t)
			f := newContentFixture(t, s)
			must(t, s.AddTag(c, "p1/a", "amd64", f.child1.Digest))
			got, err := s.ListArtifacts(c, "p1/a", meta.ArtifactFilter{Sort: meta.SortByPushTime}, meta.Window{})
			must(t, err)
			diff(t, "ListArtifacts with a tagged child", []digest.Digest{f.child1.Digest, f.index.Digest, f.untagged.Digest}, artifactDigests(got))
			n, err := s.CountArtifacts(c, "p1/a", meta.ArtifactFilter{})
			must(t, err)
			if n != 3 {
				t.Errorf("CountArtifacts = %d, want 3", n)
			}
			must(t, s.DeleteTag(c, "p1/a", "amd64"))
			got, err = s.ListArtifacts(c, "p1/a", meta.ArtifactFilter{Sort: meta.SortByPushTime}, meta.Window{})
			must(t, err)
			diff(t, "ListArtifacts once the child is untagged", []digest.Digest{f.index.Digest, f.untagged.Digest}, artifactDigests(got))
		}},
		{"Tags", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			f := newContentFixture(t, s)
			must(t, s.AddTag(c, "p1/a", "stable", f.index.Digest))
			wantErr(t, "AddTag existing", s.AddTag(c, "p1/a", "stable", f.untagged.Digest), meta.ErrConflict)
			wantErr(t, "AddTag missing manifest", s.AddTag(c, "p1/a", "x", f.b.Digest), meta.ErrNotFound)
			wantErr(t, "AddTag missing repository", s.AddTag(c, "p1/zz", "x", f.b.Digest), meta.ErrNotFound)
			m, err := s.ResolveTag(c, "p1/a", "stable")
			must(t, err)
			if m.Digest != f.index.Digest {
				t.Errorf("stable -> %s", m.Digest)
			}
			names := func(ts []meta.ArtifactTag) []string {
				var out []string
				for _, t := range ts {
					out = append(out, t.Name)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    meta.TagFilter
				w    meta.Window
				want []string
			}{
				{"all", meta.TagFilter{}, meta.Window{}, []string{"latest", "stable", "v1.0"}},
				{"page", meta.TagFilter{}, meta.Window{Offset: 1, Limit: 1}, []string{"stable"}},
				{"exact", meta.TagFilter{Name: "v1.0"}, meta.Window{}, []string{"v1.0"}},
				{"contains", meta.TagFilter{NameContains: "a"}, meta.Window{}, []string{"latest", "stable"}},
			} {
				got, err := s.ListArtifactTags(c, "p1/a", f.index.Digest, tc.f, tc.w)
				must(t, err)
				diff(t, "ListArtifactTags "+tc.name, tc.want, names(got))
				n, err := s.CountArtifactTags(c, "p1/a", f.index.Digest, tc.f)
				must(t, err)
				if tc.w == (meta.Window{}) && n != int64(len(tc.want)) {
					t.Errorf("CountArtifactTags %s = %d", tc.name, n)
				}
			}
			none, err := s.ListArtifactTags(c, "p1/a", f.b.Digest, meta.TagFilter{}, meta.Window{})
			must(t, err)
			diff(t, "ListArtifactTags other repository", []meta.ArtifactTag(nil), none)
		}},
	})
}
