package api

import (
	"context"
	"net/http"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
)

// DefaultTagHistoryWindow is Options.TagHistoryWindow when unset.
const DefaultTagHistoryWindow = 14 * 24 * time.Hour

// tagPath is the tag resource of Berth's tag history extension; Harbor
// has none (Quay has /repository/{repo}/tag/{tag}/history and .../restore).
const tagPath = "/projects/{project_name_or_id}/repositories/{repository_name}/tags/{tag_name}"

func (a *API) tagHistoryRoutes() {
	a.handle("GET "+tagPath+"/history", "tag_history", a.tagHistory)
	a.handle("POST "+tagPath+"/restore", "tag_restore", a.restoreTag)
}

// tagChangeJSON is one entry of a tag's history.
type tagChangeJSON struct {
	ID int64 `json:"id"`
	// Operation is "create", "move" or "delete".
	Operation  string        `json:"operation"`
	Tag        string        `json:"tag"`
	OldDigest  digest.Digest `json:"old_digest,omitempty"`
	NewDigest  digest.Digest `json:"new_digest,omitempty"`
	Operator   string        `json:"operator"`
	ChangeTime harborTime    `json:"change_time"`
}

func changeOut(c meta.TagChange) tagChangeJSON {
	op := "move"
	switch {
	case c.Old == "":
		op = "create"
	case c.New == "":
		op = "delete"
	}
	return tagChangeJSON{ID: c.ID, Operation: op, Tag: c.Tag, OldDigest: c.Old, NewDigest: c.New,
		Operator: c.Actor, ChangeTime: harborTime(c.ChangedAt)}
}

// historySince is the start of the tag history window.
func (a *API) historySince() time.Time {
	w := a.opt.TagHistoryWindow
	if w <= 0 {
		w = DefaultTagHistoryWindow
	}
	return a.now().Add(-w)
}

// tagParam reads {tag_name}.
func tagParam(r *http.Request) (string, error) {
	tag := r.PathValue("tag_name")
	if !oci.IsTag(tag) {
		return "", badRequest("invalid tag %q", tag)
	}
	return tag, nil
}

// tagHistory is GET .../repositories/{r}/tags/{tag}/history (read): the
// tag's creations, moves and deletions inside the history window, newest
// first, paged.
func (a *API) tagHistory(w http.ResponseWriter, r *http.Request) error {
	_, repo, err := a.contentRepo(r, access.ActionRead)
	if err != nil {
		return err
	}
	tag, err := tagParam(r)
	if err != nil {
		return err
	}
	since := a.historySince()
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountTagHistory(ctx, repo, tag, since) },
		func(ctx context.Context, win meta.Window) ([]meta.TagChange, error) {
			return a.store.ListTagHistory(ctx, repo, tag, since, win)
		},
		changeOut)
}

// restoreTag is POST .../repositories/{r}/tags/{tag}/restore (write):
// body {"digest"}; points the tag at a digest it had inside the history
// window again. 404 if the digest is not in the window or its manifest is
// gone; 412 if the tag is immutable.
func (a *API) restoreTag(w http.ResponseWriter, r *http.Request) error {
	p, repo, err := a.contentRepo(r, access.ActionWrite)
	if err != nil {
		return err
	}
	tag, err := tagParam(r)
	if err != nil {
		return err
	}
	var req struct {
		Digest string `json:"digest"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	d, err := digest.Parse(req.Digest)
	if err != nil {
		return badRequest("digest must be <algorithm>:<hex>")
	}
	if err := a.store.RestoreTag(r.Context(), repo, tag, d, a.historySince()); err != nil {
		return storeError(err, "digest "+d.String()+" in the history window of "+repo+":"+tag)
	}
	a.audit(r, meta.AuditEvent{Operation: opRestore, ResourceType: "tag", Resource: repo + ":" + tag, Project: p.Name,
		Detail: map[string]string{"digest": d.String()}})
	writeJSON(w, http.StatusOK, map[string]string{"name": tag, "digest": d.String()})
	return nil
}
