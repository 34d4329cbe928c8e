// Package blob is the content-addressed blob store: bytes kept once by digest
// behind a driver.Driver, upload sessions (monolithic, streamed and chunked,
// resumable across restarts), cross-repository mounts, and digest
// verification while streaming. Which repository sees which blob is recorded
// in the metadata store; this package writes bytes first, durably, and only
// then commits the metadata, so nothing partial is ever visible.
//
// Layout in the driver: a published blob lives at blobs/<alg>/<2 hex>/<hex>
// (oci.BlobPath) on drivers that can rename (driver.Mover); an upload in
// progress, monolithic or chunked, at uploads/<id>/data. On drivers that
// cannot rename, a finished upload stays at its uploads/ path and the blob
// row records that Location, so publishing never copies bytes.
//
// An upload session is a metadata row holding the offset and the marshalled
// sha256 state at that offset, so any process can continue a session after a
// restart; bytes are fsync'd before the row moves forward, and bytes a crash
// left beyond the row's offset are hashed and accepted on the next call.
//
// Within one process, calls on the same session are serialised. Across
// replicas, the offset compare-and-swap on the row and a size check of the
// object after each chunk refuse a concurrent chunk with
// oci.CodeRangeInvalid; a replica deployment should still route or lock a
// session to one writer (cluster.Locker), because an append racing a Finish
// on another replica could write into the just-published file.
package blob
