package distribution

import (
	"errors"
	"github.com/berth-oci/berth/internal/access"
	"io"
	"net/http"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/opencontainers/go-digest"
)

func uploadLocation(name, id string) string { return "/v2/" + name + "/blobs/uploads/" + id }

func blobLocation(name string, d digest.Digest) string { return "/v2/" + name + "/blobs/" + d.String() }

// uploadRange is the Range header value for a session holding offset bytes:
// "0-<last byte>", and "0-0" for an empty session as Distribution answers.
func uploadRange(offset int64) string {
	if offset > 0 {
		offset--
	}
	return "0-" + itoa(offset)
}

func writeUploadAccepted(w http.ResponseWriter, name string, u meta.Upload, status int) {
	hdr := w.Header()
	hdr.Set("Location", uploadLocation(name, u.ID))
	hdr.Set("Range", uploadRange(u.Offset))
	hdr.Set("Docker-Upload-UUID", u.ID)
	hdr.Set("Content-Length", "0")
	w.WriteHeader(status)
}

func writeBlobCreated(w http.ResponseWriter, name string, d digest.Digest) {
	hdr := w.Header()
	hdr.Set("Location", blobLocation(name, d))
	hdr.Set("Docker-Content-Digest", d.String())
	hdr.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// startUpload serves POST /v2/<name>/blobs/uploads/: a cross-repository
// mount (?mount=&from=), a single-request monolithic upload (?digest=), or
// the start of an upload session.
// mayPull reports whether the caller may pull from repository name (the
// source of a mount). A caller who may not is given an ordinary upload
// session, as if the blob were not there, so a mount reveals nothing.
func (h *Handler) mayPull(r *http.Request, name string) bool {
	return h.opt.Guard == nil || h.opt.Guard.Allows(r.Context(), name, access.ActionPull)
}

func (h *Handler) startUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		d, err := oci.ParseDigest(m)
		if err != nil {
			return err
		}
		if from := q.Get("from"); from != "" && oci.ValidateName(from) == nil && h.mayPull(r, from) {
			_, err := h.blobs.Mount(ctx, rt.name, from, d)
			if err == nil {
				writeBlobCreated(w, rt.name, d)
				return nil
			}
			if !errors.Is(err, oci.CodeBlobUnknown) {
				return err
			}
		}
		// The source does not have it (or was not named): fall back to an
		// ordinary upload session, as the spec allows.
	} else if ds := q.Get("digest"); ds != "" {
		d, err := oci.ParseDigest(ds)
		if err != nil {
			return err
		}
		if _, err := h.blobs.Put(ctx, rt.name, d, r.ContentLength, r.Body); err != nil {
			return err
		}
		writeBlobCreated(w, rt.name, d)
		return nil
	}
	u, err := h.blobs.StartUpload(ctx, rt.name)
	if err != nil {
		return err
	}
	writeUploadAccepted(w, rt.name, u, http.StatusAccepted)
	return nil
}

// uploadStatus serves GET /v2/<name>/blobs/uploads/<id>.
func (h *Handler) uploadStatus(w http.ResponseWriter, r *http.Request, rt route) error {
	u, err := h.blobs.Upload(r.Context(), rt.name, rt.ref)
	if err != nil {
		return err
	}
	writeUploadAccepted(w, rt.name, u, http.StatusNoContent)
	return nil
}

// chunkBounds returns the start offset and size of a chunk from the
// Content-Range and Content-Length headers; start is -1 when the client sent
// no Content-Range (a streamed upload), size -1 when unknown.
func chunkBounds(r *http.Request) (start, size int64, err error) {
	start, size = -1, r.ContentLength
	if cr := r.Header.Get("Content-Range"); cr != "" {
		br, perr := parseContentRange(cr)
		if perr != nil {
			return 0, 0, oci.CodeRangeInvalid.WithMessage("invalid Content-Range %q", cr)
		}
		n := br.End - br.Start + 1
		if size >= 0 && size != n {
			return 0, 0, oci.CodeSizeInvalid.WithMessage("Content-Length %d does not match Content-Range %q", size, cr)
		}
		start, size = br.Start, n
	}
	return start, size, nil
}

// patchUpload serves PATCH /v2/<name>/blobs/uploads/<id>: one chunk.
func (h *Handler) patchUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	start, size, err := chunkBounds(r)
	if err != nil {
		return err
	}
	u, err := h.blobs.Append(r.Context(), rt.name, rt.ref, start, size, r.Body)
	if err != nil {
		return h.withUploadState(w, r, rt, err)
	}
	writeUploadAccepted(w, rt.name, u, http.StatusAccepted)
	return nil
}

// withUploadState adds the session's Location and Range to an out-of-order
// chunk error so the client can resume from the right offset.
func (h *Handler) withUploadState(w http.ResponseWriter, r *http.Request, rt route, err error) error {
	if errors.Is(err, oci.CodeRangeInvalid) {
		if u, uerr := h.blobs.Upload(r.Context(), rt.name, rt.ref); uerr == nil {
			w.Header().Set("Location", uploadLocation(rt.name, u.ID))
			w.Header().Set("Range", uploadRange(u.Offset))
			w.Header().Set("Docker-Upload-UUID", u.ID)
		}
	}
	return err
}

// finishUpload serves PUT /v2/<name>/blobs/uploads/<id>?digest=: an optional
// last chunk, then verification and publication.
func (h *Handler) finishUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	ds := r.URL.Query().Get("digest")
	if ds == "" {
		return oci.CodeDigestInvalid.WithMessage("digest query parameter is required to finish an upload")
	}
	d, err := oci.ParseDigest(ds)
	if err != nil {
		return err
	}
	start, size, err := chunkBounds(r)
	if err != nil {
		return err
	}
	var body io.Reader
	switch {
	case start >= 0:
		if _, err := h.blobs.Append(r.Context(), rt.name, rt.ref, start, size, r.Body); err != nil {
			return h.withUploadState(w, r, rt, err)
		}
	case size != 0:
		body = r.Body
		if size > 0 {
			body = io.LimitReader(r.Body, size)
		}
	}
	if _, err := h.blobs.Finish(r.Context(), rt.name, rt.ref, d, body); err != nil {
		return err
	}
	writeBlobCreated(w, rt.name, d)
	return nil
}

// cancelUpload serves DELETE /v2/<name>/blobs/uploads/<id>.
func (h *Handler) cancelUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := h.blobs.Cancel(r.Context(), rt.name, rt.ref); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
