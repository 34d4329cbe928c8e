package metatest

import (
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// gcPass pops every queued link, then every queued blob, as a collector
// does, and returns the digests of the links and blobs it collected.
func gcPass(t *testing.T, s meta.Store, cutoff time.Time, dryRun bool) (links, blobs []digest.Digest) {
	t.Helper()
	ls, err := s.GCLinkQueue(ctx(t), meta.LinkRef{}, 1000)
	must(t, err)
	for _, l := range ls {
		v, err := s.SweepLink(ctx(t), l, cutoff, dryRun)
		must(t, err)
		if v == meta.GCCollected {
			links = append(links, l.Digest)
		}
	}
	ds, err := s.GCBlobQueue(ctx(t), "", 1000)
	must(t, err)
	if dryRun {
		ds = append(ds, links...)
	}
	seen := map[digest.Digest]bool{}
	for _, d := range ds {
		if seen[d] {
			continue
		}
		seen[d] = true
		_, v, err := s.MarkBlobDeleting(ctx(t), d, cutoff, dryRun)
		must(t, err)
		if v == meta.GCCollected {
			blobs = append(blobs, d)
		}
	}
	return links, blobs
}

// sweepManifests pops every queued manifest once and returns the digests
// of those it collected.
func sweepManifests(t *testing.T, s meta.Store, cutoff time.Time) []digest.Digest {
	t.Helper()
	ids, err := s.GCManifestQueue(ctx(t), 0, 1000)
	must(t, err)
	var out []digest.Digest
	for _, id := range ids {
		v, _, d, err := s.SweepManifest(ctx(t), id, cutoff, false)
		must(t, err)
		if v == meta.GCCollected {
			out = append(out, d)
		}
	}
	return out
}

func testGC(t *testing.T, newStore func(t *testing.T) meta.Store) {
	later := func() time.Time { return time.Now().Add(time.Hour) } // everything is older
	earlier := func() time.Time { return time.Now().Add(-time.Hour) }
	runAll(t, newStore, []subtest{
		{"DeletedImageIsCollected", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "lib/a", "a", "v1")
			layer := digest.FromString("layer of a")
			shared := blob(t, s, "lib/a", "shared")
			blob(t, s, "lib/b", "shared")
			must(t, s.PutManifest(ctx(t), image("lib/b", "b", []digest.Digest{shared.Digest}), "v1"))
			must(t, s.PutManifest(ctx(t), image("lib/a", "a2", []digest.Digest{shared.Digest}), "v2"))
			must(t, s.DeleteManifest(ctx(t), "lib/a", m.Digest))

			links, blobs := gcPass(t, s, later(), false)
			diff(t, "links collected", []digest.Digest{layer}, links)
			diff(t, "blobs collected", []digest.Digest{layer}, blobs)
			got, err := s.DeletingBlobs(ctx(t), "", 10)
			must(t, err)
			if len(got) != 1 || got[0].Digest != layer || got[0].Location != "blobs/"+layer.Encoded() {
				t.Fatalf("DeletingBlobs = %+v, want the layer", got)
			}
			ok, err := s.DeleteBlobRow(ctx(t), layer)
			must(t, err)
			if !ok {
				t.Error("DeleteBlobRow = false")
			}
			_, err = s.GetBlob(ctx(t), layer)
			wantErr(t, "GetBlob of a collected blob", err, meta.ErrNotFound)
			if _, err := s.RepoBlob(ctx(t), "lib/b", shared.Digest); err != nil {
				t.Errorf("shared blob: %v", err)
			}
			// The queues are drained: a second pass finds nothing.
			links, blobs = gcPass(t, s, later(), false)
			if len(links)+len(blobs) != 0 {
				t.Errorf("second pass collected %v %v", links, blobs)
			}
			ls, err := s.GCLinkQueue(ctx(t), meta.LinkRef{}, 10)
			must(t, err)
			bs, err := s.GCBlobQueue(ctx(t), "", 10)
			must(t, err)
			if len(ls)+len(bs) != 0 {
				t.Errorf("queues not drained: %v %v", ls, bs)
			}
		}},
		{"GracePeriodKeepsAPushInFlight", func(t *testing.T, s meta.Store) {
			b := blob(t, s, "lib/a", "uploaded, manifest to come")
			links, blobs := gcPass(t, s, earlier(), false)
			if len(links)+len(blobs) != 0 {
				t.Fatalf("collected %v %v inside the grace period", links, blobs)
			}
			// Still queued: once the grace period is over it goes.
			links, blobs = gcPass(t, s, later(), false)
			diff(t, "links", []digest.Digest{b.Digest}, links)
			diff(t, "blobs", []digest.Digest{b.Digest}, blobs)
		}},
		{"DeleteRepositoryUnlinks", func(t *testing.T, s meta.Store) {
			pushImage(t, s, "lib/a", "a", "v1")
			_, err := s.DeleteRepository(ctx(t), "lib/a")
			must(t, err)
			_, blobs := gcPass(t, s, later(), false)
			diff(t, "blobs", []digest.Digest{digest.FromString("layer of a")}, blobs)
		}},
		{"DryRunChangesNothing", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "lib/a", "a", "v1")
			must(t, s.DeleteManifest(ctx(t), "lib/a", m.Digest))
			layer := digest.FromString("layer of a")
			links, blobs := gcPass(t, s, later(), true)
			diff(t, "dry links", []digest.Digest{layer}, links)
			diff(t, "dry blobs", []digest.Digest{layer}, blobs)
			if _, err := s.RepoBlob(ctx(t), "lib/a", layer); err != nil {
				t.Errorf("dry run removed the link: %v", err)
			}
			got, err := s.DeletingBlobs(ctx(t), "", 10)
			must(t, err)
			if len(got) != 0 {
				t.Errorf("dry run marked %v", got)
			}
			links, blobs = gcPass(t, s, later(), false)
			diff(t, "links", []digest.Digest{layer}, links)
			diff(t, "blobs", []digest.Digest{layer}, blobs)
		}},
		{"DeletingBlobRefusesMountRevivesUpload", func(t *testing.T, s meta.Store) {
			b := blob(t, s, "lib/a", "content")
			must(t, s.UnlinkBlob(ctx(t), "lib/a", b.Digest))
			_, v, err := s.MarkBlobDeleting(ctx(t), b.Digest, later(), false)
			must(t, err)
			if v != meta.GCCollected {
				t.Fatalf("verdict %v, want collected", v)
			}
			_, err = s.LinkBlob(ctx(t), "lib/b", b.Digest)
			wantErr(t, "LinkBlob of a deleting blob", err, meta.ErrNotFound)
			_, _, err = s.CommitBlob(ctx(t), "lib/b", meta.Blob{Digest: b.Digest, Size: b.Size, Location: b.Location})
			wantErr(t, "CommitBlob at the location being deleted", err, meta.ErrNotFound)
			got, existed, err := s.CommitBlob(ctx(t), "lib/b", meta.Blob{Digest: b.Digest, Size: b.Size, Location: "uploads/x/data"})
			must(t, err)
			if !existed || got.Location != "uploads/x/data" {
				t.Errorf("revived blob = %+v existed=%t, want the new location", got, existed)
			}
			ok, err := s.DeleteBlobRow(ctx(t), b.Digest)
			must(t, err)
			if ok {
				t.Error("DeleteBlobRow deleted a revived blob")
			}
			if _, err := s.RepoBlob(ctx(t), "lib/b", b.Digest); err != nil {
				t.Errorf("revived blob not linked: %v", err)
			}
			at, err := s.BlobAtLocation(ctx(t), "uploads/x/data")
			must(t, err)
			if !at {
				t.Error("BlobAtLocation(uploads/x/data) = false")
			}
		}},
		{"ManifestReferenceKeepsBlob", func(t *testing.T, s meta.Store) {
			m := pushImage(t, s, "lib/a", "a", "v1")
			layer := m.Blobs[0]
			// An unlinked blob that a manifest still names stays.
			must(t, s.UnlinkBlob(ctx(t), "lib/a", layer))
			_, blobs := gcPass(t, s, later(), false)
			if len(blobs) != 0 {
				t.Errorf("collected %v, which a manifest references", blobs)
			}
		}},
		{"UntaggedManifests", func(t *testing.T, s meta.Store) {
			loose := pushImage(t, s, "lib/a", "loose", "")
			child := pushImage(t, s, "lib/a", "child", "")
			idx := index("lib/a", "idx", []digest.Digest{child.Digest})
			must(t, s.PutManifest(ctx(t), idx, "v1"))
			ref := pushImage(t, s, "lib/a", "sig", "", withSubject(idx.Digest))
			if got := sweepManifests(t, s, earlier()); len(got) != 0 {
				t.Fatalf("collected %v inside the grace period", got)
			}
			diff(t, "first pass", []digest.Digest{loose.Digest}, sweepManifests(t, s, later()))
			must(t, s.DeleteTag(ctx(t), "lib/a", "v1"))
			// The tag history pins the index (RestoreTag may bring it back)
			// until the history is pruned.
			if got := sweepManifests(t, s, later()); len(got) != 0 {
				t.Fatalf("collected %v pinned by tag history", got)
			}
			_, err := s.PruneTagHistory(ctx(t), time.Now().Add(time.Hour))
			must(t, err)
			diff(t, "index untagged", []digest.Digest{idx.Digest}, sweepManifests(t, s, later()))
			got := sweepManifests(t, s, later())
			diff(t, "child and referrer", map[digest.Digest]bool{child.Digest: true, ref.Digest: true}, set(got))
			if got := sweepManifests(t, s, later()); len(got) != 0 {
				t.Errorf("fourth pass collected %v", got)
			}
		}},
		{"Lock", func(t *testing.T, s meta.Store) {
			ok, err := s.AcquireGCLock(ctx(t), "gc", "a", time.Minute)
			must(t, err)
			if !ok {
				t.Fatal("first acquire failed")
			}
			if ok, _ := s.AcquireGCLock(ctx(t), "gc", "b", time.Minute); ok {
				t.Error("second holder got a live lease")
			}
			if ok, _ := s.AcquireGCLock(ctx(t), "gc", "a", time.Minute); !ok {
				t.Error("holder could not renew")
			}
			must(t, s.ReleaseGCLock(ctx(t), "gc", "b")) // not the holder: nothing
			if ok, _ := s.AcquireGCLock(ctx(t), "gc", "b", time.Minute); ok {
				t.Error("release by a non-holder freed the lease")
			}
			must(t, s.ReleaseGCLock(ctx(t), "gc", "a"))
			if ok, _ := s.AcquireGCLock(ctx(t), "gc", "b", -time.Second); !ok {
				t.Error("released lease not acquired")
			}
			if ok, _ := s.AcquireGCLock(ctx(t), "gc", "a", time.Minute); !ok {
				t.Error("expired lease not taken over")
			}
		}},
		{"RunsAndSchedule", func(t *testing.T, s meta.Store) {
			_, err := s.GetGCRun(ctx(t), 1)
			wantErr(t, "GetGCRun", err, meta.ErrNotFound)
			_, err = s.LastGCRun(ctx(t), "SCHEDULE")
			wantErr(t, "LastGCRun", err, meta.ErrNotFound)
			r1, err := s.CreateGCRun(ctx(t), meta.GCRun{Kind: "MANUAL", Status: "Running", DryRun: true})
			must(t, err)
			r2, err := s.CreateGCRun(ctx(t), meta.GCRun{Kind: "SCHEDULE", Status: "Running", DeleteUntagged: true})
			must(t, err)
			r1.Status, r1.BlobsDeleted, r1.BytesFreed, r1.Log, r1.UpdatedAt = "Success", 3, 300, "log\n", time.Now()
			must(t, s.UpdateGCRun(ctx(t), r1))
			got, err := s.GetGCRun(ctx(t), r1.ID)
			must(t, err)
			diff(t, "GetGCRun", r1, got)
			list, err := s.ListGCRuns(ctx(t), meta.Window{Limit: 10})
			must(t, err)
			if len(list) != 2 || list[0].ID != r2.ID || list[1].ID != r1.ID {
				t.Errorf("ListGCRuns = %+v, want newest first", list)
			}
			n, err := s.CountGCRuns(ctx(t))
			must(t, err)
			if n != 2 {
				t.Errorf("CountGCRuns = %d", n)
			}
			last, err := s.LastGCRun(ctx(t), "SCHEDULE")
			must(t, err)
			if last.ID != r2.ID || !last.DeleteUntagged {
				t.Errorf("LastGCRun = %+v", last)
			}
			wantErr(t, "UpdateGCRun of a missing run", s.UpdateGCRun(ctx(t), meta.GCRun{ID: 999}), meta.ErrNotFound)

			_, err = s.GCSchedule(ctx(t))
			wantErr(t, "GCSchedule", err, meta.ErrNotFound)
			g := meta.GCSchedule{Type: "Custom", Cron: "0 0 3 * * *", DeleteUntagged: true, UpdatedAt: time.Now()}
			must(t, s.SetGCSchedule(ctx(t), g))
			g.Type, g.Cron = "Daily", "0 0 0 * * *"
			must(t, s.SetGCSchedule(ctx(t), g))
			got2, err := s.GCSchedule(ctx(t))
			must(t, err)
			diff(t, "GCSchedule", g, got2)
		}},
		{"TouchAndUploads", func(t *testing.T, s meta.Store) {
			b := blob(t, s, "lib/a", "touched")
			time.Sleep(2 * time.Millisecond)
			must(t, s.TouchBlob(ctx(t), b.Digest))
			got, err := s.GetBlob(ctx(t), b.Digest)
			must(t, err)
			if !got.LastTouched.After(b.LastTouched) {
				t.Errorf("LastTouched %v not after %v", got.LastTouched, b.LastTouched)
			}
			must(t, s.TouchBlob(ctx(t), digest.FromString("none"))) // no such blob: nothing
			ok, err := s.UploadExists(ctx(t), "nope")
			must(t, err)
			if ok {
				t.Error("UploadExists(nope)")
			}
			now := time.Now()
			must(t, s.CreateUpload(ctx(t), meta.Upload{ID: "u1", Repository: "lib/a", Location: "uploads/u1/data",
				Algorithm: "sha256", CreatedAt: now, UpdatedAt: now}))
			if ok, _ := s.UploadExists(ctx(t), "u1"); !ok {
				t.Error("UploadExists(u1) = false")
			}
			if at, _ := s.BlobAtLocation(ctx(t), "uploads/u1/data"); at {
				t.Error("BlobAtLocation of a session's object")
			}
		}},
	})
}

func set(ds []digest.Digest) map[digest.Digest]bool {
	out := make(map[digest.Digest]bool, len(ds))
	for _, d := range ds {
		out[d] = true
	}
	return out
}
