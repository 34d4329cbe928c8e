package blob

import (
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// Layout helpers for the garbage collector, which deletes bytes and looks
// for orphans without knowing more of the layout than this.

// Prefixes of the two areas of the storage.
const (
	BlobsPrefix   = blobsDir + "/"
	UploadsPrefix = uploadsDir + "/"
)

// LocationOf returns where b's bytes live.
func LocationOf(b meta.Blob) string {
	if b.Location != "" {
		return b.Location
	}
	return blobPath(b.Digest)
}

// DigestOfPath returns the digest a path of the blobs area stands for
// (blobs/<alg>/<2 hex>/<hex>), and false for anything else.
func DigestOfPath(p string) (digest.Digest, bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 4 || parts[0] != blobsDir {
		return "", false
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(parts[1]), parts[3])
	if d.Validate() != nil || blobPath(d) != p {
		return "", false
	}
	return d, true
}

// UploadIDOfPath returns the upload id of a path of the uploads area
// (uploads/<id>/data), and false for anything else.
func UploadIDOfPath(p string) (string, bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] != uploadsDir || parts[2] != "data" || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}
