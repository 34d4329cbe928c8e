package distribution

import (
	"context"
	"errors"
	"github.com/berth-oci/berth/internal/event"
	"io"
	"net/http"
	"strings"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/meta"

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
	if accept := acceptedManifestTypes(r.Header.Values("Accept")); accept != nil && !accept[m.MediaType] {
		if m, err = h.negotiate(r, rt.name, m, accept); err != nil {
			return err
		}
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
		h.record(r, event.Pull, rt.name, m.Digest, ref.Tag, m.MediaType)
	}
	return nil
}

// acceptedManifestTypes returns the manifest media types an Accept header
// lists, or nil when it does not restrict them (no header, a wildcard, or no
// manifest type named at all).
func acceptedManifestTypes(values []string) map[string]bool {
	var out map[string]bool
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			switch {
			case mt == "*/*" || mt == "application/*":
				return nil
			case oci.IsManifestMediaType(mt):
				if out == nil {
					out = make(map[string]bool)
				}
				out[mt] = true
			}
		}
	}
	return out
}

// negotiate answers a client whose Accept header excludes the stored
// manifest's media type, as Distribution does: a client that takes image
// manifests but not indexes gets the index's linux/amd64 image; anyone else
// gets MANIFEST_UNKNOWN saying which type was found.
func (h *Handler) negotiate(r *http.Request, repo string, m meta.Manifest, accept map[string]bool) (meta.Manifest, error) {
	unknown := oci.CodeManifestUnknown.WithMessage("manifest of type %s found, but the Accept header does not allow it", m.MediaType)
	if !oci.IsIndexMediaType(m.MediaType) {
		return meta.Manifest{}, unknown
	}
	idx, err := oci.ParseManifest(m.MediaType, m.Payload)
	if err != nil {
		return meta.Manifest{}, err
	}
	for _, c := range idx.Manifests {
		if c.Platform == nil || c.Platform.OS != "linux" || c.Platform.Architecture != "amd64" || !accept[c.MediaType] {
			continue
		}
		return h.arts.GetManifest(r.Context(), repo, oci.Reference{Digest: c.Digest})
	}
	return meta.Manifest{}, unknown
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
	p, err := h.arts.PutManifest(actor(r), rt.name, ref, r.Header.Get("Content-Type"), body)
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
	h.record(r, event.Push, rt.name, p.Digest, ref.Tag, p.Manifest.MediaType)
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
	if err := h.arts.Delete(actor(r), rt.name, ref); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	h.record(r, event.Delete, rt.name, ref.Digest, ref.Tag, "")
	return nil
}

// actor returns the request's context carrying the caller's name for the
// tag history the store records.
func actor(r *http.Request) context.Context {
	return meta.WithActor(r.Context(), auth.CallerFrom(r.Context()).Principal.Name)
}
