package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/internal/gc"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

const gcSynopsis = "berth gc [--dry-run] [--untagged] [--orphans] [--grace DURATION] [--log] [--config FILE] [--data DIR]\n\n" +
	"Collects garbage once in the local store and storage: dangling repository->blob links, blobs no\n" +
	"link or manifest needs, and (--untagged) untagged manifests no index, referrer subject or tag\n" +
	"history needs; objects older than the grace period only. Safe while servers run on the same\n" +
	"data: one collection at a time holds a lease in the database. --orphans also walks the whole\n" +
	"blobs area for bytes no blob row names (slow, proportional to the storage). The run is recorded\n" +
	"in the GC history (GET /api/v2.0/system/gc)."

// runGC serves "berth gc".
func runGC(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	var (
		cfgFile, data                      string
		dryRun, untagged, orphans, showLog bool
		grace                              time.Duration
	)
	fs.StringVar(&cfgFile, "config", "", "YAML configuration file (env BERTH_CONFIG)")
	fs.StringVar(&data, "data", "", "data directory (env BERTH_DATA)")
	fs.BoolVar(&dryRun, "dry-run", false, "report what would be deleted, delete nothing")
	fs.BoolVar(&untagged, "untagged", false, "also delete untagged, unreferenced manifests")
	fs.BoolVar(&orphans, "orphans", false, "also walk the blobs area for orphan files (slow)")
	fs.DurationVar(&grace, "grace", 0, "grace period (default gc.grace_period)")
	fs.BoolVar(&showLog, "log", false, "print the run's log")
	if code, ok := parseFlags(fs, args, gcSynopsis, stdout, stderr); !ok {
		return code
	}
	cfg, err := config.Load(cfgFile, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "berth gc: %v\n", err)
		return exitError
	}
	if data != "" {
		cfg = cfg.WithDataDir(data)
	}
	if grace > 0 {
		cfg.GC.GracePeriod = grace
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "berth gc: invalid configuration:\n%v\n", err)
		return exitError
	}
	store, err := sqlstore.Open(ctx, cfg.Database.Driver, cfg.Database.DSN, nil)
	if err != nil {
		fmt.Fprintf(stderr, "berth gc: %v\n", err)
		return exitError
	}
	defer store.Close()
	drv, err := filesystem.New(cfg.Storage.Filesystem.Root)
	if err != nil {
		fmt.Fprintf(stderr, "berth gc: %v\n", err)
		return exitError
	}
	defer drv.Close()
	svc := gc.NewService(gc.NewCollector(store, drv, nil, nil), nil, gc.ServiceOptions{Grace: gcGrace(cfg.GC)})
	run, err := svc.RunNow(ctx, gc.KindManual, gc.Params{DryRun: dryRun, DeleteUntagged: untagged, Orphans: orphans})
	if showLog || err != nil {
		fmt.Fprint(stdout, run.Log)
	}
	if err != nil {
		if errors.Is(err, gc.ErrLocked) {
			fmt.Fprintln(stderr, "berth gc: another garbage collection is running; try again later")
		} else {
			fmt.Fprintf(stderr, "berth gc: %v\n", err)
		}
		return exitError
	}
	verb := "deleted"
	if dryRun {
		verb = "would delete"
	}
	fmt.Fprintf(stdout, "gc run %d: %s %d manifests, %d links, %d blobs, %d orphan objects; %d bytes freed\n",
		run.ID, verb, run.ManifestsDeleted, run.LinksDeleted, run.BlobsDeleted, run.OrphansDeleted, run.BytesFreed)
	return exitOK
}

// gcGrace is the configured grace period for a collector: 0 in the
// configuration means none (gc.Options takes a negative value for that).
func gcGrace(c config.GC) time.Duration {
	if c.GracePeriod == 0 {
		return -1
	}
	return c.GracePeriod
}
