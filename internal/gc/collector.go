package gc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/meta"
)

// Store is what the collector needs from the metadata store.
type Store interface {
	meta.GC
	GetBlob(ctx context.Context, d digest.Digest) (meta.Blob, error)
}

// DefaultGrace is the default grace period.
const DefaultGrace = 24 * time.Hour

// LockName is the lease all collectors share.
const LockName = "gc"

const (
	batchSize         = 200
	maxManifestPasses = 10
	lockTTL           = 2 * time.Minute
	maxLogLines       = 2000
)

// ErrLocked is returned when another collector holds the lease.
var ErrLocked = errors.New("gc: another garbage collection is running")

// Options are the settings of one run.
type Options struct {
	// Grace protects recent uploads, mounts and pushes; default DefaultGrace.
	// Negative means zero (tests).
	Grace time.Duration
	// DryRun reports what would go and changes nothing.
	DryRun bool
	// DeleteUntagged collects untagged, unreferenced manifests too.
	DeleteUntagged bool
	// Orphans also walks the blobs area for bytes no blob row names (slow:
	// proportional to the storage; paced by OrphanPace).
	Orphans bool
	// OrphanAge is how old an object must be to count as an orphan; default
	// one hour (or Grace if longer); negative means any age (tests).
	OrphanAge time.Duration
	// OrphanPace is a pause after every 1000 objects of the walk.
	OrphanPace time.Duration
}

// Result is what a run did (or, dry run, would do).
type Result struct {
	LinksDeleted     int64
	BlobsDeleted     int64
	ManifestsDeleted int64
	OrphansDeleted   int64
	BytesFreed       int64
	Duration         time.Duration
	Log              string
}

// Collector runs garbage collections over a metadata store and a blob
// storage driver.
type Collector struct {
	store  Store
	drv    driver.Driver
	log    *slog.Logger
	now    func() time.Time
	holder string
}

// NewCollector returns a collector. now defaults to time.Now.
func NewCollector(store Store, drv driver.Driver, log *slog.Logger, now func() time.Time) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	host, _ := os.Hostname()
	return &Collector{store: store, drv: drv, log: log, now: now,
		holder: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())}
}

// run is the state of one collection.
type run struct {
	c      *Collector
	opt    Options
	cutoff time.Time
	res    Result
	log    strings.Builder
	lines  int
	// unlinked holds, on a dry run, the digests of links the run would
	// delete: their blobs are candidates too.
	unlinked map[digest.Digest]bool
}

func (r *run) logf(format string, args ...any) {
	r.lines++
	if r.lines > maxLogLines {
		if r.lines == maxLogLines+1 {
			r.log.WriteString("... (log truncated)\n")
		}
		return
	}
	fmt.Fprintf(&r.log, "%s "+format+"\n", append([]any{r.c.now().UTC().Format(time.RFC3339)}, args...)...)
}

// Run collects garbage once. It returns ErrLocked if another collection
// holds the lease. The Result is filled as far as the run got, also on error.
func (c *Collector) Run(ctx context.Context, opt Options) (Result, error) {
	start := c.now()
	if opt.Grace == 0 {
		opt.Grace = DefaultGrace
	}
	opt.Grace = max(opt.Grace, 0)
	switch {
	case opt.OrphanAge == 0:
		opt.OrphanAge = max(time.Hour, opt.Grace)
	case opt.OrphanAge < 0:
		opt.OrphanAge = 0
	}
	ok, err := c.store.AcquireGCLock(ctx, LockName, c.holder, lockTTL)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{}, ErrLocked
	}
	defer func() {
		if err := c.store.ReleaseGCLock(context.WithoutCancel(ctx), LockName, c.holder); err != nil {
			c.log.Warn("gc: release lock", "err", err)
		}
	}()
	r := &run{c: c, opt: opt, cutoff: start.Add(-opt.Grace), unlinked: map[digest.Digest]bool{}}
	r.logf("garbage collection started: dry_run=%t delete_untagged=%t orphans=%t grace=%s cutoff=%s",
		opt.DryRun, opt.DeleteUntagged, opt.Orphans, opt.Grace, r.cutoff.UTC().Format(time.RFC3339))
	err = r.all(ctx)
	r.res.Duration = c.now().Sub(start)
	verb := "deleted"
	if opt.DryRun {
		verb = "would delete"
	}
	r.logf("%s %d manifests, %d links, %d blobs, %d orphan objects; %d bytes freed; took %s",
		verb, r.res.ManifestsDeleted, r.res.LinksDeleted, r.res.BlobsDeleted, r.res.OrphansDeleted, r.res.BytesFreed,
		r.res.Duration.Round(time.Millisecond))
	if err != nil {
		r.logf("failed: %v", err)
	}
	r.res.Log = r.log.String()
	return r.res, err
}

func (r *run) all(ctx context.Context) error {
	steps := []func(context.Context) error{r.finishDeleting, r.manifests, r.links, r.blobs, r.finishDeleting, r.uploadArea}
	if r.opt.Orphans {
		steps = append(steps, r.blobArea)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
	return nil
}

// renew extends the lease; losing it stops the run.
func (r *run) renew(ctx context.Context) error {
	ok, err := r.c.store.AcquireGCLock(ctx, LockName, r.c.holder, lockTTL)
	if err != nil {
		return err
	}
	if !ok {
		return ErrLocked
	}
	return nil
}

// manifests collects untagged manifests, pass after pass.
func (r *run) manifests(ctx context.Context) error {
	if !r.opt.DeleteUntagged {
		return nil
	}
	for pass := 0; pass < maxManifestPasses; pass++ {
		collected := 0
		var after int64
		for {
			ids, err := r.c.store.GCManifestQueue(ctx, after, batchSize)
			if err != nil {
				return err
			}
			for _, id := range ids {
				v, repo, d, err := r.c.store.SweepManifest(ctx, id, r.cutoff, r.opt.DryRun)
				if err != nil {
					return err
				}
				if v == meta.GCCollected {
					collected++
					r.res.ManifestsDeleted++
					r.logf("untagged manifest %s@%s", repo, d)
				}
			}
			if len(ids) < batchSize {
				break
			}
			after = ids[len(ids)-1]
			if err := r.renew(ctx); err != nil {
				return err
			}
		}
		if collected == 0 || r.opt.DryRun {
			return nil // a dry run deletes nothing, so a second pass finds the same
		}
	}
	return nil
}

// links deletes dangling links.
func (r *run) links(ctx context.Context) error {
	var after meta.LinkRef
	for {
		ls, err := r.c.store.GCLinkQueue(ctx, after, batchSize)
		if err != nil {
			return err
		}
		for _, l := range ls {
			v, err := r.c.store.SweepLink(ctx, l, r.cutoff, r.opt.DryRun)
			if err != nil {
				return err
			}
			if v == meta.GCCollected {
				r.res.LinksDeleted++
				if r.opt.DryRun {
					r.unlinked[l.Digest] = true
				}
			}
		}
		if len(ls) < batchSize {
			return nil
		}
		after = ls[len(ls)-1]
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
}

// blobs marks unreferenced blobs deleting (a dry run only counts them).
func (r *run) blobs(ctx context.Context) error {
	seen := map[digest.Digest]bool{}
	mark := func(d digest.Digest) error {
		if seen[d] {
			return nil
		}
		seen[d] = true
		b, v, err := r.c.store.MarkBlobDeleting(ctx, d, r.cutoff, r.opt.DryRun)
		if err != nil {
			return err
		}
		if v == meta.GCCollected && r.opt.DryRun {
			r.res.BlobsDeleted++
			r.res.BytesFreed += b.Size
			r.logf("blob %s (%d bytes)", d, b.Size)
		}
		return nil
	}
	var after digest.Digest
	for {
		ds, err := r.c.store.GCBlobQueue(ctx, after, batchSize)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := mark(d); err != nil {
				return err
			}
		}
		if len(ds) < batchSize {
			break
		}
		after = ds[len(ds)-1]
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
	for d := range r.unlinked {
		if err := mark(d); err != nil {
			return err
		}
	}
	return nil
}

// finishDeleting deletes the bytes, then the rows, of blobs marked deleting.
func (r *run) finishDeleting(ctx context.Context) error {
	if r.opt.DryRun {
		return nil
	}
	var after digest.Digest
	for {
		bs, err := r.c.store.DeletingBlobs(ctx, after, batchSize)
		if err != nil {
			return err
		}
		for _, b := range bs {
			loc := blob.LocationOf(b)
			if err := r.c.drv.Delete(ctx, loc); err != nil && !errors.Is(err, driver.ErrNotFound) {
				return fmt.Errorf("gc: delete bytes of %s at %s: %w", b.Digest, loc, err)
			}
			deleted, err := r.c.store.DeleteBlobRow(ctx, b.Digest)
			if err != nil {
				return err
			}
			if deleted {
				r.res.BlobsDeleted++
				r.res.BytesFreed += b.Size
				r.logf("blob %s (%d bytes)", b.Digest, b.Size)
			} else {
				r.logf("blob %s revived by an upload while being deleted", b.Digest)
			}
		}
		if len(bs) < batchSize {
			return nil
		}
		after = bs[len(bs)-1].Digest
		if err := r.renew(ctx); err != nil {
			return err
		}
	}
}

// walk lists the objects under prefix, or reports that the driver cannot.
func (r *run) walk(ctx context.Context, prefix string, fn func(driver.Info) error) error {
	w, ok := r.c.drv.(driver.Walker)
	if !ok {
		r.logf("storage driver cannot list objects: %s not swept", prefix)
		return nil
	}
	return w.Walk(ctx, prefix, fn)
}

// uploadArea deletes upload objects without a session that no blob keeps.
func (r *run) uploadArea(ctx context.Context) error {
	old := r.c.now().Add(-r.opt.OrphanAge)
	// orphan re-checks an object: Finish deletes the session row just
	// before it publishes the object (moves it, or records it as the
	// blob's location), so the check runs again right before deleting.
	orphan := func(info driver.Info) (bool, error) {
		id, ok := blob.UploadIDOfPath(info.Path)
		if !ok {
			return true, nil // not an upload object at all
		}
		if live, err := r.c.store.UploadExists(ctx, id); err != nil || live {
			return false, err
		}
		kept, err := r.c.store.BlobAtLocation(ctx, info.Path)
		return !kept, err
	}
	var victims []driver.Info
	err := r.walk(ctx, strings.TrimSuffix(blob.UploadsPrefix, "/"), func(info driver.Info) error {
		if info.ModTime.After(old) {
			return nil
		}
		ok, err := orphan(info)
		if ok {
			victims = append(victims, info)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("gc: sweep upload area: %w", err)
	}
	kept := victims[:0]
	for _, v := range victims {
		if _, err := r.c.drv.Stat(ctx, v.Path); errors.Is(err, driver.ErrNotFound) {
			continue // published meanwhile
		}
		ok, err := orphan(v)
		if err != nil {
			return fmt.Errorf("gc: sweep upload area: %w", err)
		}
		if ok {
			kept = append(kept, v)
		}
	}
	return r.removeOrphans(ctx, kept)
}

// blobArea walks the blobs area for bytes that no blob row names there.
func (r *run) blobArea(ctx context.Context) error {
	old := r.c.now().Add(-r.opt.OrphanAge)
	var victims []driver.Info
	n := 0
	err := r.walk(ctx, strings.TrimSuffix(blob.BlobsPrefix, "/"), func(info driver.Info) error {
		if n++; n%1000 == 0 && r.opt.OrphanPace > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(r.opt.OrphanPace):
			}
		}
		if info.ModTime.After(old) {
			return nil
		}
		if d, ok := blob.DigestOfPath(info.Path); ok {
			b, err := r.c.store.GetBlob(ctx, d)
			if err == nil && blob.LocationOf(b) == info.Path {
				return nil
			}
			if err != nil && !errors.Is(err, meta.ErrNotFound) {
				return err
			}
		}
		victims = append(victims, info)
		return nil
	})
	if err != nil {
		return fmt.Errorf("gc: walk blobs area: %w", err)
	}
	r.logf("walked %d objects of the blobs area", n)
	return r.removeOrphans(ctx, victims)
}

func (r *run) removeOrphans(ctx context.Context, victims []driver.Info) error {
	for _, v := range victims {
		if !r.opt.DryRun {
			if err := r.c.drv.Delete(ctx, v.Path); err != nil && !errors.Is(err, driver.ErrNotFound) {
				return fmt.Errorf("gc: delete orphan %s: %w", v.Path, err)
			}
		}
		r.res.OrphansDeleted++
		r.res.BytesFreed += v.Size
		r.logf("orphan object %s (%d bytes)", v.Path, v.Size)
	}
	return nil
}
