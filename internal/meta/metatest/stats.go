package metatest

import (
	"fmt"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// wantStats checks the statistics of manifest d in repo.
func wantStats(t *testing.T, s meta.Store, repo string, d digest.Digest, count int64, last time.Time) {
	t.Helper()
	got, err := s.GetArtifactStats(ctx(t), repo, d)
	must(t, err)
	want := meta.ArtifactStats{Repository: repo, Digest: d, PullCount: count, LastPulledAt: last}
	diff(t, "GetArtifactStats", want, got)
	if !got.LastPulledAt.Equal(last) {
		t.Errorf("LastPulledAt = %v, want exactly %v", got.LastPulledAt, last)
	}
}

func testStats(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"NotFound", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			m := pushImage(t, s, "lib/app", "v1", "v1")
			wantErr(t, "GetArtifactStats never pulled", second(s.GetArtifactStats(c, "lib/app", m.Digest)), meta.ErrNotFound)
			wantErr(t, "RecordPull missing repository", s.RecordPull(c, "lib/none", m.Digest, t0), meta.ErrNotFound)
			wantErr(t, "RecordPull missing manifest", s.RecordPull(c, "lib/app", digest.FromString("x"), t0), meta.ErrNotFound)
			// A blob is not a manifest.
			b := blob(t, s, "lib/app", "a blob")
			wantErr(t, "RecordPull of a blob", s.RecordPull(c, "lib/app", b.Digest, t0), meta.ErrNotFound)
			wantErr(t, "GetArtifactStats missing", second(s.GetArtifactStats(c, "lib/app", b.Digest)), meta.ErrNotFound)
		}},
		{"RecordPull", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			m := pushImage(t, s, "lib/app", "v1", "v1")
			other := pushImage(t, s, "lib/other", "v1", "v1") // same digest, another repository
			if m.Digest != other.Digest {
				t.Fatal("fixture: want the same manifest in two repositories")
			}
			must(t, s.RecordPull(c, "lib/app", m.Digest, t0))
			wantStats(t, s, "lib/app", m.Digest, 1, t0)
			must(t, s.RecordPull(c, "lib/app", m.Digest, t0.Add(time.Hour)))
			// A late report of an older pull counts but does not move the time back.
			must(t, s.RecordPull(c, "lib/app", m.Digest, t0.Add(-time.Hour)))
			wantStats(t, s, "lib/app", m.Digest, 3, t0.Add(time.Hour))
			wantErr(t, "statistics are per repository", second(s.GetArtifactStats(c, "lib/other", m.Digest)), meta.ErrNotFound)
		}},
		{"RecordPulls", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			a := pushImage(t, s, "lib/a", "a", "v1")
			b := pushImage(t, s, "lib/b", "b", "v1")
			must(t, s.RecordPull(c, "lib/b", b.Digest, t0))
			must(t, s.RecordPulls(c,
				meta.Pull{Repository: "lib/a", Digest: a.Digest, At: t0.Add(time.Minute), Count: 5},
				meta.Pull{Repository: "lib/b", Digest: b.Digest, At: t0.Add(-time.Minute)},          // Count 0 counts as 1
				meta.Pull{Repository: "lib/a", Digest: a.Digest, At: t0.Add(3 * time.Minute)},       // merged with the first
				meta.Pull{Repository: "lib/gone", Digest: a.Digest, At: t0, Count: 7},               // skipped
				meta.Pull{Repository: "lib/a", Digest: digest.FromString("gone"), At: t0, Count: 7}, // skipped
			))
			wantStats(t, s, "lib/a", a.Digest, 6, t0.Add(3*time.Minute))
			wantStats(t, s, "lib/b", b.Digest, 2, t0)
			must(t, s.RecordPulls(c)) // nothing to do
		}},
		{"GoWithTheManifest", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			m := pushImage(t, s, "lib/app", "v1", "v1")
			must(t, s.RecordPull(c, "lib/app", m.Digest, t0))
			must(t, s.DeleteManifest(c, "lib/app", m.Digest))
			wantErr(t, "stats of a deleted manifest", second(s.GetArtifactStats(c, "lib/app", m.Digest)), meta.ErrNotFound)
			must(t, s.PutManifest(c, m, "v1"))
			wantErr(t, "stats of a re-pushed manifest", second(s.GetArtifactStats(c, "lib/app", m.Digest)), meta.ErrNotFound)
		}},
		{"ConcurrentExact", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			m := pushImage(t, s, "lib/hot", "hot", "latest")
			const perWorker = 3 * rounds
			parallel(t, func(i int) error {
				for r := range perWorker {
					at := t0.Add(time.Duration(i*perWorker+r) * time.Second)
					var err error
					if i%4 == 3 { // some workers flush batches instead
						err = s.RecordPulls(c, meta.Pull{Repository: "lib/hot", Digest: m.Digest, At: at, Count: 2},
							meta.Pull{Repository: "lib/hot", Digest: m.Digest, At: at})
					} else {
						err = s.RecordPull(c, "lib/hot", m.Digest, at)
					}
					if err != nil {
						return fmt.Errorf("round %d: %w", r, err)
					}
				}
				return nil
			})
			batchers := int64(workers / 4)
			want := (workers-batchers)*perWorker + batchers*perWorker*3
			wantStats(t, s, "lib/hot", m.Digest, want, t0.Add(time.Duration(workers*perWorker-1)*time.Second))
		}},
	})
}
