package metatest

import (
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

func testBlobs(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"NotFound", func(t *testing.T, s meta.Store) {
			d := digest.FromString("nothing")
			_, err := s.GetBlob(ctx(t), d)
			wantErr(t, "GetBlob", err, meta.ErrNotFound)
			_, err = s.RepoBlob(ctx(t), "repo", d)
			wantErr(t, "RepoBlob", err, meta.ErrNotFound)
			_, err = s.LinkBlob(ctx(t), "repo", d)
			wantErr(t, "LinkBlob", err, meta.ErrNotFound)
			err = s.UnlinkBlob(ctx(t), "repo", d)
			wantErr(t, "UnlinkBlob", err, meta.ErrNotFound)
			ok, err := s.RepositoryExists(ctx(t), "repo")
			must(t, err)
			if ok {
				t.Error("LinkBlob of a missing blob created the repository")
			}
		}},
		{"CommitNew", func(t *testing.T, s meta.Store) {
			before := time.Now().Add(-time.Second)
			d := digest.FromString("hello")
			in := meta.Blob{Digest: d, Size: 5, Location: "blobs/a"}
			got, existed, err := s.CommitBlob(ctx(t), "lib/app", in)
			must(t, err)
			if existed {
				t.Error("existed = true for a new blob")
			}
			if got.CreatedAt.Before(before) || got.LastTouched.Before(before) {
				t.Errorf("timestamps not set: %+v", got)
			}
			if got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
			}
			want := meta.Blob{Digest: d, Size: 5, Location: "blobs/a", CreatedAt: got.CreatedAt, LastTouched: got.LastTouched}
			diff(t, "CommitBlob", want, got)
			g, err := s.GetBlob(ctx(t), d)
			must(t, err)
			diff(t, "GetBlob", want, g)
			r, err := s.RepoBlob(ctx(t), "lib/app", d)
			must(t, err)
			diff(t, "RepoBlob", want, r)
			ok, err := s.RepositoryExists(ctx(t), "lib/app")
			must(t, err)
			if !ok {
				t.Error("CommitBlob did not create the repository")
			}
		}},
		{"VisibilityPerRepository", func(t *testing.T, s meta.Store) {
			b := blob(t, s, "a", "content")
			_, err := s.RepoBlob(ctx(t), "b", b.Digest)
			wantErr(t, "RepoBlob in other repository", err, meta.ErrNotFound)
			_, err = s.RepoBlob(ctx(t), "a", b.Digest)
			must(t, err)
			if _, err := s.GetBlob(ctx(t), b.Digest); err != nil {
				t.Errorf("GetBlob: %v", err)
			}
		}},
		{"CommitExisting", func(t *testing.T, s meta.Store) {
			d := digest.FromString("same")
			first, _, err := s.CommitBlob(ctx(t), "a", meta.Blob{Digest: d, Size: 4, Location: "first"})
			must(t, err)
			time.Sleep(5 * time.Millisecond)
			got, existed, err := s.CommitBlob(ctx(t), "b", meta.Blob{Digest: d, Size: 4, Location: "second"})
			must(t, err)
			if !existed {
				t.Error("existed = false for a stored digest")
			}
			if got.Location != "first" {
				t.Errorf("Location = %q, want the existing row's %q", got.Location, "first")
			}
			diff(t, "CreatedAt", first.CreatedAt, got.CreatedAt)
			if !got.LastTouched.After(first.LastTouched) {
				t.Errorf("LastTouched = %v, not after %v", got.LastTouched, first.LastTouched)
			}
			for _, repo := range []string{"a", "b"} {
				if _, err := s.RepoBlob(ctx(t), repo, d); err != nil {
					t.Errorf("RepoBlob(%s): %v", repo, err)
				}
			}
			// Same repository again: still fine, still one link.
			_, existed, err = s.CommitBlob(ctx(t), "a", meta.Blob{Digest: d, Size: 4, Location: "third"})
			must(t, err)
			if !existed {
				t.Error("existed = false on the third commit")
			}
		}},
		{"LinkAndUnlink", func(t *testing.T, s meta.Store) {
			b := blob(t, s, "src", "mount me")
			time.Sleep(5 * time.Millisecond)
			got, err := s.LinkBlob(ctx(t), "dst", b.Digest)
			must(t, err)
			if got.Digest != b.Digest || got.Size != b.Size || got.Location != b.Location {
				t.Errorf("LinkBlob = %+v, want %+v", got, b)
			}
			if !got.LastTouched.After(b.LastTouched) {
				t.Errorf("LinkBlob did not touch the blob: %v <= %v", got.LastTouched, b.LastTouched)
			}
			ok, err := s.RepositoryExists(ctx(t), "dst")
			must(t, err)
			if !ok {
				t.Error("LinkBlob did not create the repository")
			}
			_, err = s.LinkBlob(ctx(t), "dst", b.Digest)
			must(t, err) // idempotent
			if _, err := s.RepoBlob(ctx(t), "dst", b.Digest); err != nil {
				t.Errorf("RepoBlob after LinkBlob: %v", err)
			}
			must(t, s.UnlinkBlob(ctx(t), "dst", b.Digest))
			_, err = s.RepoBlob(ctx(t), "dst", b.Digest)
			wantErr(t, "RepoBlob after UnlinkBlob", err, meta.ErrNotFound)
			err = s.UnlinkBlob(ctx(t), "dst", b.Digest)
			wantErr(t, "UnlinkBlob twice", err, meta.ErrNotFound)
			err = s.UnlinkBlob(ctx(t), "nowhere", b.Digest)
			wantErr(t, "UnlinkBlob in unknown repository", err, meta.ErrNotFound)
			// The bytes stay (for garbage collection) and src keeps its link.
			if _, err := s.GetBlob(ctx(t), b.Digest); err != nil {
				t.Errorf("GetBlob after unlink: %v", err)
			}
			if _, err := s.RepoBlob(ctx(t), "src", b.Digest); err != nil {
				t.Errorf("RepoBlob in src after unlink from dst: %v", err)
			}
			// Relinking after an unlink works.
			_, err = s.LinkBlob(ctx(t), "dst", b.Digest)
			must(t, err)
		}},
	})
}
