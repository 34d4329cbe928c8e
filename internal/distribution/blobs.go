package distribution

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/berth-oci/berth/internal/oci"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// getBlob serves GET and HEAD /v2/<name>/blobs/<digest>, with Range support.
func (h *Handler) getBlob(w http.ResponseWriter, r *http.Request, rt route) error {
	d, err := oci.ParseDigest(rt.ref)
	if err != nil {
		return err
	}
	b, err := h.blobs.Stat(r.Context(), rt.name, d)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Docker-Content-Digest", b.Digest.String())
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Accept-Ranges", "bytes")
	hdr.Set("ETag", `"`+b.Digest.String()+`"`)
	hdr.Set("Cache-Control", "max-age=31536000")

	start, length, status := int64(0), b.Size, http.StatusOK
	if br, ok, err := parseRange(r.Header.Get("Range"), b.Size); err != nil {
		hdr.Set("Content-Range", fmt.Sprintf("bytes */%d", b.Size))
		return oci.CodeRangeInvalid.WithMessage("range %q not satisfiable for %d bytes", r.Header.Get("Range"), b.Size)
	} else if ok {
		start, length, status = br.Start, br.End-br.Start+1, http.StatusPartialContent
		hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", br.Start, br.End, b.Size))
	}
	hdr.Set("Content-Length", itoa(length))
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	rc, err := h.blobs.Open(r.Context(), b, start)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.WriteHeader(status)
	// io.Copy from an *io.LimitedReader over an *os.File lets net/http use sendfile.
	if _, err := io.Copy(w, &io.LimitedReader{R: rc, N: length}); err != nil {
		h.log.DebugContext(r.Context(), "blob copy ended early", "digest", b.Digest, "err", err)
	}
	return nil
}

// deleteBlob serves DELETE /v2/<name>/blobs/<digest>: it unlinks the blob
// from the repository; the bytes go when garbage collection finds them unused.
func (h *Handler) deleteBlob(w http.ResponseWriter, r *http.Request, rt route) error {
	d, err := oci.ParseDigest(rt.ref)
	if err != nil {
		return err
	}
	if err := h.blobs.Delete(r.Context(), rt.name, d); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}
