package gc

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"
)

// BenchmarkCollectGarbage measures a run that finds 1,000 garbage blobs in
// a registry with BERTH_GC_BENCH_LIVE (default 2,000) live ones: the run's
// cost follows the garbage (the queues), not the live blobs.
//
//	go test ./internal/gc -run '^$' -bench CollectGarbage -benchtime 1x
func BenchmarkCollectGarbage(b *testing.B) {
	live := 2000
	if v, err := strconv.Atoi(os.Getenv("BERTH_GC_BENCH_LIVE")); err == nil {
		live = v
	}
	const garbage = 1000
	b.StopTimer()
	for range b.N {
		f := newFixture(b)
		for i := range live {
			f.image("lib/live", fmt.Sprintf("live %d", i), fmt.Sprintf("t%d", i))
		}
		f.run(Options{}) // drains the queue entries of the live pushes
		var doomed []digest.Digest
		for i := range garbage {
			doomed = append(doomed, f.image("lib/junk", fmt.Sprintf("junk %d", i), "").Digest)
		}
		for _, d := range doomed {
			if err := f.store.DeleteManifest(b.Context(), "lib/junk", d); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		res := f.run(Options{})
		b.StopTimer()
		if res.BlobsDeleted != garbage {
			b.Fatalf("deleted %d blobs, want %d", res.BlobsDeleted, garbage)
		}
		b.ReportMetric(float64(res.Duration.Milliseconds()), "ms/run")
	}
}
