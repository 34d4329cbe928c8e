package distribution

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
)

// page reads the n and last query parameters. With no n, up to MaxPageSize
// entries are returned; a larger n is capped at MaxPageSize (the Link header
// then leads to the rest).
func (h *Handler) page(r *http.Request) (meta.Page, error) {
	q := r.URL.Query()
	p := meta.Page{Last: q.Get("last"), N: h.opt.MaxPageSize}
	if ns, ok := q["n"]; ok && len(ns) > 0 {
		n, err := strconv.Atoi(ns[0])
		if err != nil || n < 0 {
			return meta.Page{}, oci.CodePaginationInvalid.WithDetail(map[string]string{"n": ns[0]})
		}
		p.N = min(n, h.opt.MaxPageSize)
	}
	return p, nil
}

// list fetches one page plus one entry to learn whether more exist, and sets
// the Link header to the next page when they do.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, p meta.Page, fetch func(meta.Page) ([]string, error)) ([]string, error) {
	if p.N == 0 {
		return []string{}, nil
	}
	items, err := fetch(meta.Page{Last: p.Last, N: p.N + 1})
	if err != nil {
		return nil, err
	}
	if len(items) > p.N {
		items = items[:p.N]
		q := url.Values{}
		q.Set("n", strconv.Itoa(p.N))
		q.Set("last", items[len(items)-1])
		w.Header().Set("Link", "<"+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	if items == nil {
		items = []string{}
	}
	return items, nil
}

// tags serves GET /v2/<name>/tags/list.
func (h *Handler) tags(w http.ResponseWriter, r *http.Request, rt route) error {
	p, err := h.page(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	tags, err := h.list(w, r, p, func(p meta.Page) ([]string, error) { return h.arts.Tags(ctx, rt.name, p) })
	if err != nil {
		return err
	}
	if p.N == 0 {
		// n=0 still reports NAME_UNKNOWN for a repository that does not exist.
		if _, err := h.arts.Tags(ctx, rt.name, meta.Page{N: 1}); err != nil {
			return err
		}
	}
	return writeJSON(w, r, http.StatusOK, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.name, tags})
}

// catalog serves GET /v2/_catalog.
func (h *Handler) catalog(w http.ResponseWriter, r *http.Request, _ route) error {
	p, err := h.page(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	fetch := func(p meta.Page) ([]string, error) { return h.arts.Repositories(ctx, p) }
	if h.opt.Guard != nil {
		ok, err := h.opt.Guard.Pullable(ctx)
		if err != nil {
			return err
		}
		fetch = filtered(fetch, ok)
	}
	repos, err := h.list(w, r, p, fetch)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{repos})
}

// referrerIndex is the OCI index the referrers API answers with.
type referrerIndex struct {
	SchemaVersion int                `json:"schemaVersion"`
	MediaType     string             `json:"mediaType"`
	Manifests     []referrerManifest `json:"manifests"`
}

type referrerManifest struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// referrers serves GET /v2/<name>/referrers/<digest>[?artifactType=].
func (h *Handler) referrers(w http.ResponseWriter, r *http.Request, rt route) error {
	d, err := oci.ParseDigest(rt.ref)
	if err != nil {
		return err
	}
	at := r.URL.Query().Get("artifactType")
	refs, err := h.arts.Referrers(r.Context(), rt.name, d, at)
	if err != nil {
		return err
	}
	idx := referrerIndex{SchemaVersion: 2, MediaType: oci.MediaTypeOCIIndex, Manifests: make([]referrerManifest, 0, len(refs))}
	for _, ref := range refs {
		idx.Manifests = append(idx.Manifests, referrerManifest{
			MediaType:    ref.MediaType,
			Digest:       ref.Digest.String(),
			Size:         ref.Size,
			ArtifactType: ref.ArtifactType,
			Annotations:  ref.Annotations,
		})
	}
	if at != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	return writeJSON(w, r, http.StatusOK, oci.MediaTypeOCIIndex, idx)
}

// filtered wraps a page fetcher so that it returns only the entries keep
// accepts, reading further pages until the page is full or the listing
// ends. The catalog uses it so a caller never sees a repository it cannot
// pull, with pagination intact.
func filtered(fetch func(meta.Page) ([]string, error), keep func(string) (bool, error)) func(meta.Page) ([]string, error) {
	return func(p meta.Page) ([]string, error) {
		var out []string
		last := p.Last
		batch := max(p.N, 100)
		for p.N <= 0 || len(out) < p.N {
			items, err := fetch(meta.Page{Last: last, N: batch})
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				ok, err := keep(it)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, it)
					if p.N > 0 && len(out) == p.N {
						return out, nil
					}
				}
			}
			if len(items) < batch {
				break
			}
			last = items[len(items)-1]
		}
		return out, nil
	}
}
