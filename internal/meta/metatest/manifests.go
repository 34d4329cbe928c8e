package metatest

import (
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

func testManifests(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			before := time.Now().Add(-time.Second)
			cfg, layer := blob(t, s, "lib/app", "config"), blob(t, s, "lib/app", "layer")
			m := image("lib/app", "v1", []digest.Digest{cfg.Digest, layer.Digest},
				withArtifactType("application/vnd.example+type"),
				withSubject(digest.FromString("some subject")),
				withAnnotations(map[string]string{"org.opencontainers.image.created": "2024-01-01T00:00:00Z", "x": "é ☃"}))
			must(t, s.PutManifest(ctx(t), m, "v1"))
			got, err := s.GetManifest(ctx(t), "lib/app", m.Digest)
			must(t, err)
			diff(t, "GetManifest", m, got, readBack)
			if got.CreatedAt.Before(before) || got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt = %v, want a recent UTC time", got.CreatedAt)
			}
			got, err = s.ResolveTag(ctx(t), "lib/app", "v1")
			must(t, err)
			diff(t, "ResolveTag", m, got, readBack)
		}},
		{"CreatedAtKept", func(t *testing.T, s meta.Store) {
			m := image("r", "old", nil)
			m.CreatedAt = time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC)
			must(t, s.PutManifest(ctx(t), m, ""))
			got, err := s.GetManifest(ctx(t), "r", m.Digest)
			must(t, err)
			if !got.CreatedAt.Equal(m.CreatedAt) {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, m.CreatedAt)
			}
		}},
		{"NoAnnotationsNoSubject", func(t *testing.T, s meta.Store) {
			m := image("r", "plain", nil)
			must(t, s.PutManifest(ctx(t), m, ""))
			got, err := s.GetManifest(ctx(t), "r", m.Digest)
			must(t, err)
			if got.Annotations != nil || got.Subject != "" || got.ArtifactType != "" {
				t.Errorf("got annotations %v, subject %q, artifact type %q; want none", got.Annotations, got.Subject, got.ArtifactType)
			}
			diff(t, "GetManifest", m, got, readBack)
		}},
		{"NotFound", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "r", "x", "latest")
			cases := []struct {
				name string
				err  error
			}{
				{"GetManifest unknown digest", getManifest(t, s, "r", digest.FromString("nope"))},
				{"GetManifest other repository", getManifest(t, s, "other", m.Digest)},
				{"ResolveTag unknown tag", resolve(t, s, "r", "nope")},
				{"ResolveTag other repository", resolve(t, s, "other", "latest")},
				{"DeleteManifest unknown digest", s.DeleteManifest(ctx(t), "r", digest.FromString("nope"))},
				{"DeleteManifest other repository", s.DeleteManifest(ctx(t), "other", m.Digest)},
				{"DeleteTag unknown tag", s.DeleteTag(ctx(t), "r", "nope")},
				{"DeleteTag other repository", s.DeleteTag(ctx(t), "other", "latest")},
			}
			for _, c := range cases {
				wantErr(t, c.name, c.err, meta.ErrNotFound)
			}
		}},
		{"MissingBlob", func(t *testing.T, s meta.Store) {
			have := blob(t, s, "r", "have")
			elsewhere := blob(t, s, "other", "elsewhere")
			missing := digest.FromString("never uploaded")
			cases := []struct {
				name  string
				blobs []digest.Digest
				want  digest.Digest
			}{
				{"never uploaded", []digest.Digest{have.Digest, missing}, missing},
				{"first missing is named", []digest.Digest{missing, elsewhere.Digest}, missing},
				{"linked to another repository only", []digest.Digest{have.Digest, elsewhere.Digest}, elsewhere.Digest},
			}
			for _, c := range cases {
				m := image("r", c.name, c.blobs)
				err := s.PutManifest(ctx(t), m, "t")
				wantMissing(t, err, c.want)
				wantErr(t, c.name+": GetManifest", getManifest(t, s, "r", m.Digest), meta.ErrNotFound)
				wantErr(t, c.name+": ResolveTag", resolve(t, s, "r", "t"), meta.ErrNotFound)
			}
			// A manifest that cannot be stored creates no listing entry.
			repos, err := s.ListRepositories(ctx(t), meta.Page{})
			must(t, err)
			diff(t, "ListRepositories", []string(nil), repos)
		}},
		{"UnlinkedBlobIsMissing", func(t *testing.T, s meta.Store) {
			b := blob(t, s, "r", "gone")
			must(t, s.UnlinkBlob(ctx(t), "r", b.Digest))
			wantMissing(t, s.PutManifest(ctx(t), image("r", "m", []digest.Digest{b.Digest}), ""), b.Digest)
		}},
		{"MissingChild", func(t *testing.T, s meta.Store) {
			child := pushImage(t, s, "r", "child", "")
			elsewhere := pushImage(t, s, "other", "elsewhere", "")
			missing := digest.FromString("no such manifest")
			wantMissing(t, s.PutManifest(ctx(t), index("r", "i1", []digest.Digest{child.Digest, missing}), "i"), missing)
			wantMissing(t, s.PutManifest(ctx(t), index("r", "i2", []digest.Digest{elsewhere.Digest}), "i"), elsewhere.Digest)
			// A blob with the child's digest is not a manifest.
			b := blob(t, s, "r", "a blob, not a manifest")
			wantMissing(t, s.PutManifest(ctx(t), index("r", "i3", []digest.Digest{b.Digest}), "i"), b.Digest)
			wantErr(t, "ResolveTag", resolve(t, s, "r", "i"), meta.ErrNotFound)
		}},
		{"Index", func(t *testing.T, s meta.Store) {
			amd := pushImage(t, s, "r", "amd64", "")
			arm := pushImage(t, s, "r", "arm64", "")
			idx := index("r", "multi", []digest.Digest{amd.Digest, arm.Digest, amd.Digest})
			must(t, s.PutManifest(ctx(t), idx, "latest"))
			got, err := s.ResolveTag(ctx(t), "r", "latest")
			must(t, err)
			diff(t, "ResolveTag", idx, got, readBack)
			// Nested index.
			outer := index("r", "outer", []digest.Digest{idx.Digest})
			must(t, s.PutManifest(ctx(t), outer, "outer"))
		}},
		{"IdempotentPut", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "r", "same", "a")
			first, err := s.GetManifest(ctx(t), "r", m.Digest)
			must(t, err)
			for _, tag := range []string{"a", "b", ""} {
				must(t, s.PutManifest(ctx(t), m, tag))
			}
			got, err := s.GetManifest(ctx(t), "r", m.Digest)
			must(t, err)
			diff(t, "GetManifest after re-put", first, got)
			for _, tag := range []string{"a", "b"} {
				got, err := s.ResolveTag(ctx(t), "r", tag)
				must(t, err)
				diff(t, "ResolveTag "+tag, first, got)
			}
			c, err := s.Counts(ctx(t))
			must(t, err)
			if c.Manifests != 1 {
				t.Errorf("Counts.Manifests = %d, want 1", c.Manifests)
			}
		}},
		{"SameManifestInTwoRepositories", func(t *testing.T, s meta.Store) {
			b1, b2 := blob(t, s, "one", "shared layer"), blob(t, s, "two", "shared layer")
			if b1.Digest != b2.Digest {
				t.Fatal("digests differ")
			}
			m1 := image("one", "shared", []digest.Digest{b1.Digest})
			m2 := m1
			m2.Repository = "two"
			must(t, s.PutManifest(ctx(t), m1, "t"))
			must(t, s.PutManifest(ctx(t), m2, "t"))
			must(t, s.DeleteManifest(ctx(t), "one", m1.Digest))
			got, err := s.ResolveTag(ctx(t), "two", "t")
			must(t, err)
			diff(t, "ResolveTag in two", m2, got, readBack)
		}},
		{"DeleteManifest", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "r", "doomed", "a")
			must(t, s.PutManifest(ctx(t), m, "b"))
			other := pushImage(t, s, "r", "survivor", "c")
			must(t, s.DeleteManifest(ctx(t), "r", m.Digest))
			wantErr(t, "GetManifest after delete", getManifest(t, s, "r", m.Digest), meta.ErrNotFound)
			wantErr(t, "ResolveTag a", resolve(t, s, "r", "a"), meta.ErrNotFound)
			wantErr(t, "ResolveTag b", resolve(t, s, "r", "b"), meta.ErrNotFound)
			wantErr(t, "DeleteManifest twice", s.DeleteManifest(ctx(t), "r", m.Digest), meta.ErrNotFound)
			got, err := s.ResolveTag(ctx(t), "r", "c")
			must(t, err)
			diff(t, "ResolveTag c", other, got, readBack)
			tags, err := s.ListTags(ctx(t), "r", meta.Page{})
			must(t, err)
			diff(t, "ListTags", []string{"c"}, tags)
			// Its blobs stay linked, and it can be pushed again.
			must(t, s.PutManifest(ctx(t), m, "a"))
			got, err = s.ResolveTag(ctx(t), "r", "a")
			must(t, err)
			diff(t, "ResolveTag after re-push", m, got, readBack)
		}},
		{"DeleteChildOfIndex", func(t *testing.T, s meta.Store) {
			child := pushImage(t, s, "r", "child", "")
			idx := index("r", "idx", []digest.Digest{child.Digest})
			must(t, s.PutManifest(ctx(t), idx, "latest"))
			// The contract does not forbid it; the index stays.
			must(t, s.DeleteManifest(ctx(t), "r", child.Digest))
			if _, err := s.ResolveTag(ctx(t), "r", "latest"); err != nil {
				t.Errorf("ResolveTag of the index: %v", err)
			}
		}},
	})
}

func testTags(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"Move", func(t *testing.T, s meta.Store) {
			m1 := pushImage(t, s, "r", "one", "latest")
			m2 := pushImage(t, s, "r", "two", "latest")
			got, err := s.ResolveTag(ctx(t), "r", "latest")
			must(t, err)
			diff(t, "ResolveTag after move", m2, got, readBack)
			// The old manifest stays, untagged.
			if _, err := s.GetManifest(ctx(t), "r", m1.Digest); err != nil {
				t.Errorf("GetManifest of the untagged manifest: %v", err)
			}
			// Moving back by re-putting the old one.
			must(t, s.PutManifest(ctx(t), m1, "latest"))
			got, err = s.ResolveTag(ctx(t), "r", "latest")
			must(t, err)
			diff(t, "ResolveTag after move back", m1, got, readBack)
		}},
		{"Delete", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "r", "m", "a")
			must(t, s.PutManifest(ctx(t), m, "b"))
			must(t, s.DeleteTag(ctx(t), "r", "a"))
			wantErr(t, "ResolveTag deleted", resolve(t, s, "r", "a"), meta.ErrNotFound)
			wantErr(t, "DeleteTag twice", s.DeleteTag(ctx(t), "r", "a"), meta.ErrNotFound)
			if _, err := s.ResolveTag(ctx(t), "r", "b"); err != nil {
				t.Errorf("ResolveTag of the other tag: %v", err)
			}
			if _, err := s.GetManifest(ctx(t), "r", m.Digest); err != nil {
				t.Errorf("DeleteTag removed the manifest: %v", err)
			}
		}},
		{"PerRepository", func(t *testing.T, s meta.Store) {
			a := pushImage(t, s, "a", "in a", "latest")
			b := pushImage(t, s, "b", "in b", "latest")
			for _, c := range []struct {
				repo string
				want meta.Manifest
			}{{"a", a}, {"b", b}} {
				got, err := s.ResolveTag(ctx(t), c.repo, "latest")
				must(t, err)
				diff(t, "ResolveTag in "+c.repo, c.want, got, readBack)
			}
			must(t, s.DeleteTag(ctx(t), "a", "latest"))
			if _, err := s.ResolveTag(ctx(t), "b", "latest"); err != nil {
				t.Errorf("DeleteTag in a removed b's tag: %v", err)
			}
		}},
		{"CaseSensitive", func(t *testing.T, s meta.Store) {
			lower := pushImage(t, s, "r", "lower", "latest")
			upper := pushImage(t, s, "r", "upper", "LATEST")
			for tag, want := range map[string]meta.Manifest{"latest": lower, "LATEST": upper} {
				got, err := s.ResolveTag(ctx(t), "r", tag)
				must(t, err)
				diff(t, "ResolveTag "+tag, want, got, readBack)
			}
		}},
	})
}

func getManifest(t *testing.T, s meta.Store, repo string, d digest.Digest) error {
	_, err := s.GetManifest(ctx(t), repo, d)
	return err
}

func resolve(t *testing.T, s meta.Store, repo, tag string) error {
	_, err := s.ResolveTag(ctx(t), repo, tag)
	return err
}
