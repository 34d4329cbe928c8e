// Package gc is Berth's online garbage collector: it removes repository
// links, blobs and (optionally) untagged manifests that nothing needs any
// more, while pushes and pulls go on. There is no read-only mode.
//
// # What is garbage
//
// The metadata store is the source of truth (see meta.GC for the exact
// rules). Deleting a tag, a manifest or a repository only removes rows;
// database triggers then queue what may have become garbage, and a run
// re-checks just those queue entries, so its cost grows with the churn since
// the last run, never with the size of the registry or its storage:
//
//  1. Untagged manifests (only with Options.DeleteUntagged): a manifest with
//     no tag, listed by no index of its repository, not a referrer of a
//     manifest still stored there, and pushed before the cutoff. Deleting one
//     queues its children, referrers and blobs, so a run repeats this step
//     until nothing more goes (at most maxManifestPasses times).
//  2. Dangling links: a repository->blob link that no manifest of the
//     repository references. A blob upload or mount creates one, and it stays
//     dangling until the manifest arrives, so a link (and its blob) must also
//     be older than the cutoff to go. A manifest delete queues the links of
//     its blobs; DeleteRepository deletes its links at once.
//  3. Blobs: no link, no manifest reference in any repository, and
//     LastTouched before the cutoff. Upload commit and mount touch a blob,
//     and so does a HEAD or GET of it when its touch is older than half the
//     grace period (blob.Options.TouchAfter).
//
// The cutoff is now minus the grace period (config gc.grace_period, default
// 24h): a push in flight (layers uploaded or mounted, or confirmed present by
// HEAD, manifest not yet written) is safe as long as it finishes within it.
//
// # The state machine
//
// A blob goes ready -> deleting -> gone. The store marks it deleting in a
// transaction that re-checks every condition with the row locked (FOR UPDATE
// on PostgreSQL, the single writer on SQLite); then the collector deletes the
// bytes, then the row (only if still deleting). Meanwhile:
//   - an upload of the same digest (CommitBlob) revives the row with the new
//     upload's location: the collector deletes only the old location;
//   - a mount (LinkBlob) of a deleting blob is BLOB_UNKNOWN, so the client
//     uploads the bytes instead;
//   - a manifest PUT names only blobs linked to its repository, and a
//     deleting blob has no link; a link the collector deletes concurrently
//     (it is older than the cutoff) makes the PUT MANIFEST_BLOB_UNKNOWN.
//
// Never a committed manifest with a missing blob. A run that crashes leaves
// blobs in state deleting; the next run finishes them first.
//
// # Dry runs
//
// A dry run changes nothing and reports what one run would delete: dangling
// links, and blobs, counting the dangling links it found as gone. Blobs that
// only untagged manifests reference are not counted (the manifests are
// still there); a real run deletes them in the same run.
//
// # Cost
//
// Each queue entry is one short transaction; with SQLite's durable commits
// that is a few milliseconds per garbage blob (about 6 s for 1,000 on a CI
// machine), and the same with 200 or 5,000 live blobs: the live ones are
// never visited (BenchmarkCollectGarbage).
//
// # Orphan files
//
// Crashes can leave bytes that no row names. The upload area (uploads/<id>/)
// is swept on every run: an object older than Options.OrphanAge whose session
// row is gone and that no blob keeps as its location is deleted; the area
// holds only uploads in flight, so this is cheap. Bytes published under a
// digest path whose blob row was never committed (a crash between the rename
// and the commit) can only be found by walking the blobs area: that is the
// separate, paced Options.Orphans pass (berth gc --orphans), never part of a
// scheduled run.
//
// # Runs
//
// Only one collector runs at a time across processes and replicas: a lease
// row in the database (meta.GC AcquireGCLock), renewed while the run goes
// on. Service runs collections on demand and on a schedule, and records each
// run (counts, freed bytes, log) in the history. A process that dies during
// a run leaves its history entry "Running"; the lease expires after two
// minutes and the next run finishes the work.
package gc
