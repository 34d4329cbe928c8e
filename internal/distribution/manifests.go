package distribution

import (
	"errors"
	"io"
	"net/http"

	"github.com/berth-oci/berth/internal/oci"
)

// getManifest serves GET and HEAD /v2/<name>/manifests/<reference>.
func (h *Handler) getManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	ref, err := oci.ParseReference(rt.ref)
	if err != nil {
		return err
	}
	m, err := h.arts.GetManifest(r.Context(), rt.name, ref)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", m.MediaType)
	hdr.Set("Content-Length", itoa(m.Size))
	hdr.Set("Docker-Content-Digest", m.Digest.String())
	hdr.Set("ETag", `"`+m.Digest.String()+`"`)
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == `"`+m.Digest.String()+`"` || inm == m.Digest.String()) {
		hdr.Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(m.Payload)
	}
	return nil
}

// putManifest serves PUT /v2/<name>/manifests/<reference>.
func (h *Handler) putManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	ref, err := oci.ParseReference(rt.ref)
	if err != nil {
		return err
	}
	max := h.opt.MaxManifestSize
	if r.ContentLength > max {
		return manifestTooLarge(max)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return manifestTooLarge(max)
		}
		return err
	}
	if int64(len(body)) > max {
		return manifestTooLarge(max)
	}
	if r.ContentLength >= 0 && int64(len(body)) != r.ContentLength {
		return oci.CodeSizeInvalid.WithMessage("received %d bytes, Content-Length said %d", len(body), r.ContentLength)
	}
	p, err := h.arts.PutManifest(r.Context(), rt.name, ref, r.Header.Get("Content-Type"), body)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Location", "/v2/"+rt.name+"/manifests/"+p.Digest.String())
	hdr.Set("Docker-Content-Digest", p.Digest.String())
	if p.Manifest.Subject != nil {
		hdr.Set("OCI-Subject", p.Manifest.Subject.Digest.String())
	}
	hdr.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

func manifestTooLarge(max int64) error {
	return oci.CodeManifestInvalid.WithMessage("manifest is larger than the limit of %d bytes", max).WithStatus(http.StatusRequestEntityTooLarge)
}

// deleteManifest serves DELETE /v2/<name>/manifests/<reference>: by digest
// it removes the manifest and its tags, by tag only the tag.
func (h *Handler) deleteManifest(w http.ResponseWriter, r *http.Request, rt route) error {
	ref, err := oci.ParseReference(rt.ref)
	if err != nil {
		return err
	}
	if err := h.arts.Delete(r.Context(), rt.name, ref); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}
