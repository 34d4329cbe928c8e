package metatest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// workers is how many goroutines each concurrency case runs; rounds bounds
// the iterations of each.
const (
	workers = 16
	rounds  = 8
)

// parallel runs fn(i) for i in [0, workers) at once and reports the errors.
func parallel(t *testing.T, fn func(i int) error) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, workers)
	)
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
}

func testConcurrency(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"CommitBlobSameDigest", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			d := digest.FromString("contended")
			var fresh atomic.Int32
			parallel(t, func(i int) error {
				repo := fmt.Sprintf("repo-%d", i%4) // some in the same new repository
				b, existed, err := s.CommitBlob(c, repo, meta.Blob{Digest: d, Size: 9, Location: fmt.Sprintf("loc-%d", i)})
				if err != nil {
					return err
				}
				if !existed {
					fresh.Add(1)
				}
				if b.Digest != d || b.Size != 9 {
					return fmt.Errorf("stored blob %+v", b)
				}
				return nil
			})
			if n := fresh.Load(); n != 1 {
				t.Errorf("%d commits reported a new blob, want exactly 1", n)
			}
			for i := range 4 {
				if _, err := s.RepoBlob(c, fmt.Sprintf("repo-%d", i), d); err != nil {
					t.Errorf("RepoBlob: %v", err)
				}
			}
		}},
		{"LinkBlob", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			b := blob(t, s, "src", "mounted everywhere")
			parallel(t, func(i int) error {
				for r := range rounds {
					repo := fmt.Sprintf("dst-%d", (i+r)%3)
					if _, err := s.LinkBlob(c, repo, b.Digest); err != nil {
						return err
					}
				}
				return nil
			})
			for i := range 3 {
				if _, err := s.RepoBlob(c, fmt.Sprintf("dst-%d", i), b.Digest); err != nil {
					t.Errorf("RepoBlob: %v", err)
				}
			}
		}},
		{"PutManifestSameTag", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			const distinct = 4
			var ms []meta.Manifest
			for i := range distinct {
				b := blob(t, s, "r", fmt.Sprintf("layer %d", i))
				ms = append(ms, image("r", fmt.Sprintf("m%d", i), []digest.Digest{b.Digest}))
			}
			parallel(t, func(i int) error {
				for r := range rounds {
					if err := s.PutManifest(c, ms[(i+r)%distinct], "latest"); err != nil {
						return err
					}
				}
				return nil
			})
			got, err := s.ResolveTag(c, "r", "latest")
			must(t, err)
			found := false
			for _, m := range ms {
				found = found || m.Digest == got.Digest
			}
			if !found {
				t.Errorf("latest points at %s, none of the pushed manifests", got.Digest)
			}
			n, err := s.Counts(c)
			must(t, err)
			if n.Manifests != distinct {
				t.Errorf("Counts.Manifests = %d, want %d", n.Manifests, distinct)
			}
		}},
		{"PushToNewRepository", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			// Every worker uploads the same layer and pushes the same manifest
			// to the same, new repository: all must succeed.
			layer := digest.FromString("first push")
			m := image("new/repo", "first", []digest.Digest{layer})
			parallel(t, func(i int) error {
				if _, _, err := s.CommitBlob(c, "new/repo", meta.Blob{Digest: layer, Size: 10, Location: "l"}); err != nil {
					return err
				}
				return s.PutManifest(c, m, fmt.Sprintf("t%d", i%4))
			})
			tags, err := s.ListTags(c, "new/repo", meta.Page{})
			must(t, err)
			diff(t, "ListTags", []string{"t0", "t1", "t2", "t3"}, tags)
		}},
		{"UpdateUploadRace", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			must(t, s.CreateUpload(c, upload("u", "r", t0Listing)))
			var won atomic.Int32
			parallel(t, func(i int) error {
				u := upload("u", "r", t0Listing)
				u.Offset = int64(i + 1)
				err := s.UpdateUpload(c, u, 0)
				switch {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, meta.ErrConflict):
					return err
				}
				return nil
			})
			if n := won.Load(); n != 1 {
				t.Errorf("%d updates from offset 0 succeeded, want 1", n)
			}
		}},
		{"PutAndDelete", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			// Pushes and deletes of the same manifest race; whatever wins, a
			// listed tag always resolves.
			m := pushImage(t, s, "r", "flapping", "")
			parallel(t, func(i int) error {
				for r := range rounds {
					var err error
					if (i+r)%2 == 0 {
						err = s.PutManifest(c, m, fmt.Sprintf("t%d", i%3))
					} else if err = s.DeleteManifest(c, "r", m.Digest); errors.Is(err, meta.ErrNotFound) {
						err = nil
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			tags, err := s.ListTags(c, "r", meta.Page{})
			must(t, err)
			for _, tag := range tags {
				if _, err := s.ResolveTag(c, "r", tag); err != nil {
					t.Errorf("listed tag %s does not resolve: %v", tag, err)
				}
			}
		}},
		{"ReadsDuringWrites", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			pushImage(t, s, "r", "seed", "latest")
			parallel(t, func(i int) error {
				for r := range rounds {
					if i%2 == 0 {
						seed := fmt.Sprintf("w%d-%d", i, r)
						b, _, err := s.CommitBlob(c, "r", meta.Blob{Digest: digest.FromString(seed), Size: 1, Location: seed})
						if err != nil {
							return err
						}
						if err := s.PutManifest(c, image("r", seed, []digest.Digest{b.Digest}), fmt.Sprintf("tag-%d", r)); err != nil {
							return err
						}
						continue
					}
					if _, err := s.ResolveTag(c, "r", "latest"); err != nil {
						return err
					}
					if _, err := s.ListTags(c, "r", meta.Page{N: 100}); err != nil {
						return err
					}
					if _, err := s.ListRepositories(c, meta.Page{}); err != nil {
						return err
					}
				}
				return nil
			})
		}},
	})
}
