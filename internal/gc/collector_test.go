package gc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

type fixture struct {
	t     testing.TB
	root  string
	store *sqlstore.Store
	drv   *filesystem.Driver
	blobs *blob.Store
	col   *Collector
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(t.Context(), sqlstore.DriverSQLite, filepath.Join(dir, "berth.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "blobs")
	drv, err := filesystem.New(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(); _ = drv.Close() })
	return &fixture{t: t, root: root, store: st, drv: drv, blobs: blob.New(drv, st, nil, blob.Options{}),
		col: NewCollector(st, drv, nil, nil)}
}

// put uploads content to repo and returns its digest.
func (f *fixture) put(repo, content string) digest.Digest {
	f.t.Helper()
	d := digest.FromString(content)
	if _, err := f.blobs.Put(f.t.Context(), repo, d, int64(len(content)), bytes.NewReader([]byte(content))); err != nil {
		f.t.Fatal(err)
	}
	return d
}

// image uploads a layer and puts a manifest naming it.
func (f *fixture) image(repo, seed, tag string, shared ...digest.Digest) meta.Manifest {
	f.t.Helper()
	layers := append([]digest.Digest{f.put(repo, "layer "+seed)}, shared...)
	payload := []byte(`{"seed":"` + seed + `"}`)
	m := meta.Manifest{Repository: repo, Digest: digest.FromBytes(payload), MediaType: "application/vnd.oci.image.manifest.v1+json",
		Size: int64(len(payload)), Payload: payload, Blobs: layers}
	if err := f.store.PutManifest(f.t.Context(), m, tag); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// run collects with no grace period.
func (f *fixture) run(opt Options) Result {
	f.t.Helper()
	if opt.Grace == 0 {
		opt.Grace = -1
	}
	res, err := f.col.Run(f.t.Context(), opt)
	if err != nil {
		f.t.Fatalf("Run: %v\n%s", err, res.Log)
	}
	return res
}

// files counts the files under the storage root.
func (f *fixture) files() int {
	n := 0
	_ = filepath.WalkDir(f.root, func(_ string, de os.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func TestCollectDeletedImage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.put("lib/a", "base layer")
	m := f.image("lib/a", "one", "v1", base)
	f.image("lib/a", "two", "v2", base)
	if err := f.store.DeleteManifest(t.Context(), "lib/a", m.Digest); err != nil {
		t.Fatal(err)
	}
	dry := f.run(Options{DryRun: true})
	if dry.BlobsDeleted != 1 || dry.LinksDeleted != 1 || dry.BytesFreed != int64(len("layer one")) {
		t.Errorf("dry run = %+v, want 1 link and 1 blob", dry)
	}
	if n := f.files(); n != 3 {
		t.Errorf("dry run left %d files, want 3", n)
	}
	res := f.run(Options{})
	if res.BlobsDeleted != dry.BlobsDeleted || res.LinksDeleted != dry.LinksDeleted || res.BytesFreed != dry.BytesFreed {
		t.Errorf("run = %+v, dry run said %+v", res, dry)
	}
	if n := f.files(); n != 2 {
		t.Errorf("%d files after GC, want 2 (base and layer two)", n)
	}
	if _, err := f.store.GetBlob(t.Context(), base); err != nil {
		t.Errorf("shared base layer: %v", err)
	}
}

func TestGraceKeepsUploadInFlight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.put("lib/a", "pushed, manifest not yet")
	if res := f.run(Options{Grace: time.Hour}); res.BlobsDeleted+res.LinksDeleted != 0 {
		t.Fatalf("collected inside the grace period: %+v", res)
	}
	if _, err := f.blobs.Stat(t.Context(), "lib/a", d); err != nil {
		t.Fatal(err)
	}
	if res := f.run(Options{}); res.BlobsDeleted != 1 {
		t.Errorf("abandoned upload not collected after the grace period: %+v", res)
	}
}

func TestUploadRevivesBlobBeingDeleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	content := "revive me"
	d := f.put("lib/a", content)
	if err := f.store.UnlinkBlob(t.Context(), "lib/a", d); err != nil {
		t.Fatal(err)
	}
	// The collector marks it deleting and is then slow to delete.
	if _, v, err := f.store.MarkBlobDeleting(t.Context(), d, time.Now().Add(time.Hour), false); err != nil || v != meta.GCCollected {
		t.Fatalf("MarkBlobDeleting = %v, %v", v, err)
	}
	// A mount fails cleanly; an upload of the same bytes revives the blob.
	if _, err := f.blobs.Mount(t.Context(), "lib/c", "lib/a", d); err == nil {
		t.Error("mount of a deleting blob succeeded")
	}
	if _, err := f.blobs.Put(t.Context(), "lib/b", d, int64(len(content)), bytes.NewReader([]byte(content))); err != nil {
		t.Fatal(err)
	}
	res := f.run(Options{Grace: time.Hour})
	if res.BlobsDeleted != 0 {
		t.Errorf("revived blob counted as deleted: %+v", res)
	}
	b, err := f.blobs.Stat(t.Context(), "lib/b", d)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.blobs.Open(t.Context(), b, 0)
	if err != nil {
		t.Fatalf("revived blob's bytes: %v", err)
	}
	got := new(bytes.Buffer)
	_, _ = got.ReadFrom(rc)
	rc.Close()
	if got.String() != content {
		t.Errorf("revived blob reads %q", got)
	}
	// Revived before the collector got to its bytes: the old copy under the
	// digest path is now an orphan that only the blobs area walk finds.
	if b.Location == "blobs/"+orphanPath(d) {
		t.Fatalf("revived blob kept the location being deleted")
	}
	if res := f.run(Options{Grace: time.Hour, Orphans: true, OrphanAge: -1}); res.OrphansDeleted != 1 {
		t.Errorf("orphan walk deleted %d, want the old copy:\n%s", res.OrphansDeleted, res.Log)
	}
	if _, err := f.blobs.Open(t.Context(), b, 0); err != nil {
		t.Errorf("revived blob after the orphan walk: %v", err)
	}
}

func TestOrphans(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	live := f.put("lib/a", "live")
	write := func(p, content string) {
		w, err := f.drv.Writer(ctx, p, false)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
		if err := w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	orphan := digest.FromString("crashed before commit")
	write("blobs/"+orphanPath(orphan), "crashed before commit")
	write("uploads/deadbeef/data", "session row gone")
	u, err := f.blobs.StartUpload(ctx, "lib/a") // a live session stays
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{"blobs/" + orphanPath(orphan), "uploads/deadbeef/data", u.Location, "blobs/" + orphanPath(live)} {
		if err := os.Chtimes(filepath.Join(f.root, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	res := f.run(Options{Grace: time.Hour})
	if res.OrphansDeleted != 1 {
		t.Errorf("upload area sweep deleted %d, want 1:\n%s", res.OrphansDeleted, res.Log)
	}
	res = f.run(Options{Grace: time.Hour, Orphans: true})
	if res.OrphansDeleted != 1 {
		t.Errorf("blobs area walk deleted %d, want 1:\n%s", res.OrphansDeleted, res.Log)
	}
	if _, err := f.drv.Stat(ctx, u.Location); err != nil {
		t.Errorf("live session's object: %v", err)
	}
	if _, err := f.drv.Stat(ctx, "blobs/"+orphanPath(live)); err != nil {
		t.Errorf("live blob: %v", err)
	}
}

func orphanPath(d digest.Digest) string {
	return string(d.Algorithm()) + "/" + d.Encoded()[:2] + "/" + d.Encoded()
}

func TestOneCollectorAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok, err := f.store.AcquireGCLock(t.Context(), LockName, "someone else", time.Minute)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := f.col.Run(t.Context(), Options{}); !errors.Is(err, ErrLocked) {
		t.Errorf("Run with the lease taken: %v, want ErrLocked", err)
	}
	svc := NewService(f.col, nil, ServiceOptions{Grace: -1})
	run, err := svc.RunNow(context.Background(), KindManual, Params{})
	if !errors.Is(err, ErrLocked) || run.Status != StatusError {
		t.Errorf("RunNow = %+v, %v", run, err)
	}
	if err := f.store.ReleaseGCLock(t.Context(), LockName, "someone else"); err != nil {
		t.Fatal(err)
	}
	run, err = svc.RunNow(t.Context(), KindManual, Params{})
	if err != nil || run.Status != StatusSuccess {
		t.Fatalf("RunNow = %+v, %v", run, err)
	}
	got, err := f.store.GetGCRun(t.Context(), run.ID)
	if err != nil || got.Status != StatusSuccess || got.Log == "" {
		t.Errorf("recorded run = %+v, %v", got, err)
	}
}

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	svc := NewService(f.col, nil, ServiceOptions{Interval: time.Hour})
	next, g, err := svc.NextRun(t.Context())
	if err != nil || g.Type != ScheduleCustom || g.Cron != "@every 1h0m0s" || next.Before(time.Now().Add(59*time.Minute)) {
		t.Errorf("configured schedule: %v %+v %v", next, g, err)
	}
	if err := svc.SetSchedule(t.Context(), meta.GCSchedule{Type: "Sometimes"}); !errors.Is(err, ErrInvalidSchedule) {
		t.Errorf("unknown type: %v", err)
	}
	if err := svc.SetSchedule(t.Context(), meta.GCSchedule{Type: ScheduleCustom, Cron: "nope"}); !errors.Is(err, ErrInvalidSchedule) {
		t.Errorf("bad cron: %v", err)
	}
	if err := svc.SetSchedule(t.Context(), meta.GCSchedule{Type: ScheduleDaily, DeleteUntagged: true}); err != nil {
		t.Fatal(err)
	}
	next, g, err = svc.NextRun(t.Context())
	if err != nil || g.Cron != "0 0 0 * * *" || !g.DeleteUntagged || next.Hour() != 0 || next.Minute() != 0 {
		t.Errorf("daily: %v %+v %v", next, g, err)
	}
	if err := svc.SetSchedule(t.Context(), meta.GCSchedule{Type: ScheduleNone}); err != nil {
		t.Fatal(err)
	}
	if next, _, _ := svc.NextRun(t.Context()); !next.IsZero() {
		t.Errorf("None: next %v", next)
	}
}
