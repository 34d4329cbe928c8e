package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
)

const artifactPath = "/projects/{project_name_or_id}/repositories/{repository_name}/artifacts"

func (a *API) artifactRoutes() {
	a.handle("GET "+artifactPath, "artifacts_list", a.listArtifacts)
	a.handle("GET "+artifactPath+"/{reference}", "artifact_get", a.getArtifact)
	a.handle("DELETE "+artifactPath+"/{reference}", "artifact_delete", a.deleteArtifact)
	a.handle("GET "+artifactPath+"/{reference}/tags", "tags_list", a.listTags)
	a.handle("POST "+artifactPath+"/{reference}/tags", "tag_create", a.createTag)
	a.handle("DELETE "+artifactPath+"/{reference}/tags/{tag_name}", "tag_delete", a.deleteTag)
	a.handle("GET "+artifactPath+"/{reference}/additions/build_history", "artifact_build_history", a.buildHistory)
}

// maxConfigSize bounds the image configs read for artifact details.
const maxConfigSize = 1 << 20

// Harbor's artifact types, from the config media type.
const (
	typeImage   = "IMAGE"
	typeChart   = "CHART"
	typeCNAB    = "CNAB"
	typeUnknown = "UNKNOWN"
)

// tagJSON is Harbor's Tag. Berth's tags have no id of their own.
type tagJSON struct {
	RepositoryID int64      `json:"repository_id"`
	ArtifactID   int64      `json:"artifact_id"`
	Name         string     `json:"name"`
	PushTime     harborTime `json:"push_time"`
	PullTime     harborTime `json:"pull_time"`
	Immutable    bool       `json:"immutable"`
	Signed       bool       `json:"signed"`
}

// platformJSON is the platform of an index child, as Harbor writes it.
type platformJSON struct {
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	OSVersion    string   `json:"os.version,omitempty"`
	OSFeatures   []string `json:"os.features,omitempty"`
	Variant      string   `json:"variant,omitempty"`
}

// referenceJSON is Harbor's Reference: a child of an index.
type referenceJSON struct {
	ParentID    int64             `json:"parent_id"`
	ChildID     int64             `json:"child_id,omitempty"`
	ChildDigest digest.Digest     `json:"child_digest"`
	Platform    *platformJSON     `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	URLs        []string          `json:"urls,omitempty"`
}

type linkJSON struct {
	Href     string `json:"href"`
	Absolute bool   `json:"absolute"`
}

// artifactJSON is Harbor's Artifact.
type artifactJSON struct {
	ID                int64               `json:"id"`
	Type              string              `json:"type"`
	MediaType         string              `json:"media_type"`
	ManifestMediaType string              `json:"manifest_media_type"`
	ArtifactType      string              `json:"artifact_type"`
	ProjectID         int64               `json:"project_id"`
	RepositoryID      int64               `json:"repository_id"`
	RepositoryName    string              `json:"repository_name"`
	Digest            digest.Digest       `json:"digest"`
	Size              int64               `json:"size"`
	Icon              string              `json:"icon"`
	PushTime          harborTime          `json:"push_time"`
	PullTime          harborTime          `json:"pull_time"`
	PullCount         int64               `json:"pull_count"`
	ExtraAttrs        map[string]any      `json:"extra_attrs"`
	Annotations       map[string]string   `json:"annotations"`
	References        []referenceJSON     `json:"references"`
	Tags              []tagJSON           `json:"tags"`
	AdditionLinks     map[string]linkJSON `json:"addition_links"`
	Labels            []any               `json:"labels"`
	Accessories       []any               `json:"accessories"`
}

// artifactType returns Harbor's type and the config media type (the
// artifact's media_type) of a parsed manifest.
func artifactKind(mf *oci.Manifest) (kind, mediaType string) {
	if oci.IsIndexMediaType(mf.MediaType) {
		return typeImage, mf.MediaType
	}
	if mf.Config == nil {
		return typeUnknown, mf.MediaType
	}
	switch mt := mf.Config.MediaType; {
	case mt == oci.MediaTypeOCIConfig || mt == oci.MediaTypeDockerConfig:
		return typeImage, mt
	case strings.HasPrefix(mt, "application/vnd.cncf.helm.config"):
		return typeChart, mt
	case strings.HasPrefix(mt, "application/vnd.cnab."):
		return typeCNAB, mt
	default:
		return typeUnknown, mt
	}
}

// artifactOut renders art. When details is set it reads the config blob
// for extra_attrs (images and charts); children fill the references'
// child ids; rules (the project's immutability rules) mark immutable tags.
func (a *API) artifactOut(ctx context.Context, p meta.Project, art meta.Artifact, withTags bool, children []meta.Artifact,
	rules []meta.ImmutableRule) artifactJSON {
	out := artifactJSON{
		ID: art.ID, ManifestMediaType: art.MediaType, ArtifactType: art.ArtifactType,
		ProjectID: p.ID, RepositoryID: art.RepositoryID, RepositoryName: art.Repository,
		Digest: art.Digest, Size: art.Size, PushTime: harborTime(art.PushedAt), PullTime: harborTime(art.PulledAt),
		PullCount: art.PullCount, Annotations: art.Annotations, ExtraAttrs: map[string]any{},
		References: []referenceJSON{}, Tags: []tagJSON{}, Labels: []any{}, Accessories: []any{},
		AdditionLinks: map[string]linkJSON{},
	}
	mf, err := oci.ParseManifest(art.MediaType, art.Payload)
	if err != nil {
		a.log.WarnContext(ctx, "stored manifest does not parse", "repository", art.Repository, "digest", art.Digest, "err", err)
		out.Type, out.MediaType = typeUnknown, art.MediaType
	} else {
		out.Type, out.MediaType = artifactKind(mf)
		if out.ArtifactType == "" {
			out.ArtifactType = out.MediaType
		}
		out.References = references(art, mf, children)
		if mf.Config != nil && (out.Type == typeImage || out.Type == typeChart) {
			out.ExtraAttrs = a.extraAttrs(ctx, art.Repository, out.Type, mf.Config.Digest)
			if out.Type == typeImage {
				out.AdditionLinks["build_history"] = linkJSON{Href: artifactHref(art) + "/additions/build_history"}
			}
		}
	}
	if withTags {
		for _, t := range art.Tags {
			_, immutable := meta.ImmutableBy(rules, art.Repository, t.Name)
			out.Tags = append(out.Tags, tagJSON{RepositoryID: art.RepositoryID, ArtifactID: art.ID, Name: t.Name,
				PushTime: harborTime(t.PushedAt), PullTime: harborTime(art.PulledAt), Immutable: immutable})
		}
	}
	return out
}

// artifactHref is the API path of art, with the repository part
// double-encoded as Harbor writes it.
func artifactHref(art meta.Artifact) string {
	project, repo, _ := strings.Cut(art.Repository, "/")
	return Prefix + "/projects/" + project + "/repositories/" + url.PathEscape(url.PathEscape(repo)) +
		"/artifacts/" + art.Digest.String()
}

// references lists the children of an index with their platforms.
func references(art meta.Artifact, mf *oci.Manifest, children []meta.Artifact) []referenceJSON {
	ids := make(map[digest.Digest]int64, len(children))
	for _, c := range children {
		ids[c.Digest] = c.ID
	}
	out := make([]referenceJSON, 0, len(mf.Manifests))
	for _, m := range mf.Manifests {
		ref := referenceJSON{ParentID: art.ID, ChildID: ids[m.Digest], ChildDigest: m.Digest, Annotations: m.Annotations, URLs: m.URLs}
		if pl := m.Platform; pl != nil {
			ref.Platform = &platformJSON{Architecture: pl.Architecture, OS: pl.OS, OSVersion: pl.OSVersion,
				OSFeatures: pl.OSFeatures, Variant: pl.Variant}
		}
		out = append(out, ref)
	}
	return out
}

// readConfig reads the config blob d of repo, at most maxConfigSize bytes.
func (a *API) readConfig(ctx context.Context, repo string, d digest.Digest) ([]byte, error) {
	if a.blobs == nil {
		return nil, errors.New("no blob store configured")
	}
	b, err := a.blobs.Stat(ctx, repo, d)
	if err != nil {
		return nil, err
	}
	if b.Size > maxConfigSize {
		return nil, fmt.Errorf("config %s is %d bytes, over %d", d, b.Size, maxConfigSize)
	}
	rc, err := a.blobs.Open(ctx, b, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxConfigSize))
}

// extraAttrs returns Harbor's extra_attrs: for an image, its config's
// architecture, os, created, author and config; for a chart, the chart
// metadata. A config that cannot be read gives none (logged).
func (a *API) extraAttrs(ctx context.Context, repo, kind string, d digest.Digest) map[string]any {
	out := map[string]any{}
	body, err := a.readConfig(ctx, repo, d)
	if err != nil {
		a.log.DebugContext(ctx, "read artifact config", "repository", repo, "digest", d, "err", err)
		return out
	}
	var cfg map[string]any
	if err := json.Unmarshal(body, &cfg); err != nil {
		return out
	}
	if kind == typeChart {
		return cfg
	}
	for _, k := range []string{"architecture", "os", "created", "author", "config", "variant", "os.version"} {
		if v, ok := cfg[k]; ok {
			out[k] = v
		}
	}
	return out
}

// boolParam reads an optional boolean query parameter.
func boolParam(r *http.Request, name string, def bool) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s must be true or false", name)
	}
	return b, nil
}

// artifactFilter reads q (tags, digest, media_type) and sort.
func artifactFilter(r *http.Request) (meta.ArtifactFilter, error) {
	var f meta.ArtifactFilter
	q, err := parseQuery(r, "tags", "digest", "media_type")
	if err != nil {
		return f, err
	}
	if t, ok := q["tags"]; ok {
		switch {
		case t.Match == MatchExact && t.Value == "*":
			yes := true
			f.Tagged = &yes
		case t.Match == MatchExact && t.Value == "nil":
			no := false
			f.Tagged = &no
		case t.Match == MatchExact:
			f.Tag = t.Value
		case t.Match == MatchFuzzy:
			f.TagContains = t.Value
		default:
			return f, badRequest("q tags supports tags=NAME, tags=~PART, tags=* and tags=nil")
		}
	}
	if t, ok := q["digest"]; ok {
		d, err := digest.Parse(t.Value)
		if err != nil || t.Match != MatchExact {
			return f, badRequest("q digest must be digest=<algorithm>:<hex>")
		}
		f.Digest = d
	}
	if t, ok := q["media_type"]; ok {
		f.MediaType = t.Value
	}
	switch s := strings.TrimPrefix(r.URL.Query().Get("sort"), "+"); s {
	case "", "-push_time", "push_time", "-pull_time", "pull_time", "digest":
		f.Sort = meta.ArtifactSort(s)
	default:
		return f, badRequest("sort %q is not supported (supported: push_time, pull_time, each with - for descending, and digest)", s)
	}
	return f, nil
}

// listArtifacts is GET .../artifacts (list): top-level artifacts (index
// children and referrers are shown through their parent), newest first.
func (a *API) listArtifacts(w http.ResponseWriter, r *http.Request) error {
	p, repo, err := a.contentRepo(r, access.ActionList)
	if err != nil {
		return err
	}
	f, err := artifactFilter(r)
	if err != nil {
		return err
	}
	withTag, err := boolParam(r, "with_tag", true)
	if err != nil {
		return err
	}
	rules, err := a.store.ListImmutableRules(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountArtifacts(ctx, repo, f) },
		func(ctx context.Context, win meta.Window) ([]meta.Artifact, error) {
			return a.store.ListArtifacts(ctx, repo, f, win)
		},
		func(art meta.Artifact) artifactJSON { return a.artifactOut(r.Context(), p, art, withTag, nil, rules) })
}

// artifact resolves {reference} (a tag or a digest) in repo.
func (a *API) artifact(r *http.Request, repo string) (meta.Artifact, error) {
	ref, err := oci.ParseReference(r.PathValue("reference"))
	if err != nil {
		return meta.Artifact{}, badRequest("invalid reference %q: want a tag or a digest", r.PathValue("reference"))
	}
	d := ref.Digest
	if d == "" {
		m, err := a.store.ResolveTag(r.Context(), repo, ref.Tag)
		if err != nil {
			return meta.Artifact{}, storeError(err, "artifact "+repo+":"+ref.Tag)
		}
		d = m.Digest
	}
	art, err := a.store.GetArtifact(r.Context(), repo, d)
	if err != nil {
		return meta.Artifact{}, storeError(err, "artifact "+repo+"@"+d.String())
	}
	return art, nil
}

// repoArtifact resolves the project and repository of the path for act
// and the artifact its {reference} names.
func (a *API) repoArtifact(r *http.Request, act access.Action) (meta.Project, string, meta.Artifact, error) {
	p, repo, err := a.contentRepo(r, act)
	if err != nil {
		return meta.Project{}, "", meta.Artifact{}, err
	}
	art, err := a.artifact(r, repo)
	return p, repo, art, err
}

// getArtifact is GET .../artifacts/{reference} (read).
func (a *API) getArtifact(w http.ResponseWriter, r *http.Request) error {
	p, repo, err := a.contentRepo(r, access.ActionRead)
	if err != nil {
		return err
	}
	withTag, err := boolParam(r, "with_tag", true)
	if err != nil {
		return err
	}
	art, err := a.artifact(r, repo)
	if err != nil {
		return err
	}
	var children []meta.Artifact
	if oci.IsIndexMediaType(art.MediaType) {
		if children, err = a.store.ListChildArtifacts(r.Context(), repo, art.Digest); err != nil {
			return err
		}
	}
	rules, err := a.store.ListImmutableRules(r.Context(), p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.artifactOut(r.Context(), p, art, withTag, children, rules))
	return nil
}

// deleteArtifact is DELETE .../artifacts/{reference} (delete): the
// manifest and every tag on it; blobs are left to garbage collection.
func (a *API) deleteArtifact(w http.ResponseWriter, r *http.Request) error {
	p, repo, art, err := a.repoArtifact(r, access.ActionDelete)
	if err != nil {
		return err
	}
	if err := a.store.DeleteManifest(r.Context(), repo, art.Digest); err != nil {
		return storeError(err, "artifact "+repo+"@"+art.Digest.String())
	}
	ev := meta.AuditEvent{Operation: meta.OpDelete, ResourceType: "artifact", Resource: repo + "@" + art.Digest.String(), Project: p.Name}
	if len(art.Tags) > 0 {
		names := make([]string, len(art.Tags))
		for i, t := range art.Tags {
			names[i] = t.Name
		}
		ev.Detail = map[string]string{"tags": strings.Join(names, ",")}
	}
	a.audit(r, ev)
	w.WriteHeader(http.StatusOK)
	return nil
}

// listTags is GET .../artifacts/{reference}/tags (list); q name, exact or
// ~substring.
func (a *API) listTags(w http.ResponseWriter, r *http.Request) error {
	p, repo, err := a.contentRepo(r, access.ActionList)
	if err != nil {
		return err
	}
	rules, err := a.store.ListImmutableRules(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if err := checkSort(r, "name", "+name"); err != nil {
		return err
	}
	q, err := parseQuery(r, "name")
	if err != nil {
		return err
	}
	var f meta.TagFilter
	if f.Name, f.NameContains, err = fuzzy(q, "name"); err != nil {
		return err
	}
	art, err := a.artifact(r, repo)
	if err != nil {
		return err
	}
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountArtifactTags(ctx, repo, art.Digest, f) },
		func(ctx context.Context, win meta.Window) ([]meta.ArtifactTag, error) {
			return a.store.ListArtifactTags(ctx, repo, art.Digest, f, win)
		},
		func(t meta.ArtifactTag) tagJSON {
			_, immutable := meta.ImmutableBy(rules, repo, t.Name)
			return tagJSON{RepositoryID: art.RepositoryID, ArtifactID: art.ID, Name: t.Name,
				PushTime: harborTime(t.PushedAt), PullTime: harborTime(art.PulledAt), Immutable: immutable}
		})
}

// createTag is POST .../artifacts/{reference}/tags (write): body {"name"};
// 409 if the tag exists in the repository.
func (a *API) createTag(w http.ResponseWriter, r *http.Request) error {
	p, repo, err := a.contentRepo(r, access.ActionWrite)
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !oci.IsTag(req.Name) {
		return badRequest("invalid tag %q", req.Name)
	}
	art, err := a.artifact(r, repo)
	if err != nil {
		return err
	}
	if err := a.store.AddTag(r.Context(), repo, req.Name, art.Digest); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return conflict("tag %s already exists in %s", req.Name, repo)
		}
		return storeError(err, "artifact "+repo+"@"+art.Digest.String())
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpTag, ResourceType: "tag", Resource: repo + ":" + req.Name, Project: p.Name,
		Detail: map[string]string{"digest": art.Digest.String()}})
	w.Header().Set("Location", r.URL.EscapedPath()+"/"+url.PathEscape(req.Name))
	w.WriteHeader(http.StatusCreated)
	return nil
}

// deleteTag is DELETE .../artifacts/{reference}/tags/{tag_name} (delete):
// 404 unless the tag points at that artifact.
func (a *API) deleteTag(w http.ResponseWriter, r *http.Request) error {
	p, repo, art, err := a.repoArtifact(r, access.ActionDelete)
	if err != nil {
		return err
	}
	tag := r.PathValue("tag_name")
	found := false
	for _, t := range art.Tags {
		found = found || t.Name == tag
	}
	if !found {
		return notFound("tag %s of %s@%s not found", tag, repo, art.Digest)
	}
	if err := a.store.DeleteTag(r.Context(), repo, tag); err != nil {
		return storeError(err, "tag "+repo+":"+tag)
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpDelete, ResourceType: "tag", Resource: repo + ":" + tag, Project: p.Name,
		Detail: map[string]string{"digest": art.Digest.String()}})
	w.WriteHeader(http.StatusOK)
	return nil
}

// historyJSON is one entry of an image config's history, as docker
// history shows it.
type historyJSON struct {
	Created    *time.Time `json:"created,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	Author     string     `json:"author,omitempty"`
	Comment    string     `json:"comment,omitempty"`
	EmptyLayer bool       `json:"empty_layer,omitempty"`
}

// buildHistory is GET .../artifacts/{reference}/additions/build_history
// (read): the image config's history. 404 for artifacts that are not
// single images.
func (a *API) buildHistory(w http.ResponseWriter, r *http.Request) error {
	_, repo, art, err := a.repoArtifact(r, access.ActionRead)
	if err != nil {
		return err
	}
	mf, err := oci.ParseManifest(art.MediaType, art.Payload)
	if err != nil || mf.Config == nil {
		return notFound("artifact %s@%s has no build history", repo, art.Digest)
	}
	if kind, _ := artifactKind(mf); kind != typeImage {
		return notFound("artifact %s@%s has no build history", repo, art.Digest)
	}
	body, err := a.readConfig(r.Context(), repo, mf.Config.Digest)
	if err != nil {
		return fmt.Errorf("read config of %s@%s: %w", repo, art.Digest, err)
	}
	var cfg struct {
		History []historyJSON `json:"history"`
	}
	if err := json.Unmarshal(body, &cfg); err != nil {
		return notFound("artifact %s@%s has no readable image config", repo, art.Digest)
	}
	if cfg.History == nil {
		cfg.History = []historyJSON{}
	}
	writeJSON(w, http.StatusOK, cfg.History)
	return nil
}
