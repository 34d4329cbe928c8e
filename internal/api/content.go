package api

import (
	"context"
	"errors"
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

// BlobReader opens stored blobs (image configs, for artifact details and
// build history). *blob.Store implements it.
type BlobReader interface {
	// Stat returns blob d if it is linked to repo.
	Stat(ctx context.Context, repo string, d digest.Digest) (meta.Blob, error)
	// Open returns a reader of b's bytes from offset.
	Open(ctx context.Context, b meta.Blob, offset int64) (io.ReadCloser, error)
}

// contentRoutes registers projects, repositories, artifacts, tags, search,
// systeminfo, health and ping.
func (a *API) contentRoutes() {
	a.projectRoutes()
	a.repositoryRoutes()
	a.artifactRoutes()
	a.immutableRoutes()
	a.tagHistoryRoutes()
	a.layerRoutes()
	a.systemRoutes()
}

// harborTime is how Harbor writes times: RFC 3339 in UTC with
// milliseconds; the zero time ("never") is written as Harbor does too.
type harborTime time.Time

func (t harborTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

func (t *harborTime) UnmarshalJSON(b []byte) error {
	return (*time.Time)(t).UnmarshalJSON(b)
}

// hidden is the error for a project the caller may not even read: it is
// reported as missing (401 for anonymous callers, who may log in), so
// that names of private projects do not leak.
func hidden(r *http.Request, what string) error {
	if caller(r).Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	return notFound("%s not found", what)
}

// project resolves the {project_name_or_id} path parameter as Harbor does
// (a number is a project id unless the X-Is-Resource-Name header is
// "true"; anything else is a name) and checks that the caller may perform
// act on it. Every route under /projects/{project_name_or_id} resolves its
// project here, so all of them answer alike: a project the caller may not
// read is reported as missing (see hidden); one they may read but not act
// on is a 403.
func (a *API) project(r *http.Request, act access.Action) (meta.Project, error) {
	v := r.PathValue("project_name_or_id")
	var (
		p   meta.Project
		err error
	)
	if id, perr := strconv.ParseInt(v, 10, 64); perr == nil && !strings.EqualFold(r.Header.Get("X-Is-Resource-Name"), "true") {
		p, err = a.store.GetProject(r.Context(), id)
	} else {
		p, err = a.store.GetProjectByName(r.Context(), v)
	}
	return a.visibleProject(r, p, err, "project", act)
}

// visibleProject finishes a lookup of project p (err is the lookup's
// error): a missing project, or one the caller may not read, is reported
// by hidden as a missing what; otherwise the caller must be allowed act.
func (a *API) visibleProject(r *http.Request, p meta.Project, err error, what string, act access.Action) (meta.Project, error) {
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Project{}, hidden(r, what)
	}
	if err != nil {
		return meta.Project{}, err
	}
	res := access.ForProject(p.Name, p.Public)
	if !a.eval.Allowed(caller(r).Principal, access.ActionProjectRead, res, a.now()) {
		return meta.Project{}, hidden(r, what)
	}
	return p, a.authorize(r, act, res)
}

// repoName returns the full name of the {repository_name} path parameter
// of project p. Harbor's clients encode the '/' of a repository name
// twice (%252F), so the value is unescaped once more when it still holds
// an escape.
func repoName(r *http.Request, p meta.Project) (string, error) {
	v := r.PathValue("repository_name")
	if strings.Contains(v, "%") {
		u, err := url.PathUnescape(v)
		if err != nil {
			return "", badRequest("invalid repository name %q", v)
		}
		v = u
	}
	full := p.Name + "/" + v
	if v == "" || oci.ValidateName(full) != nil {
		return "", badRequest("invalid repository name %q", v)
	}
	return full, nil
}

// contentRepo resolves the project and repository of the request and
// checks that the caller may perform act on the repository.
func (a *API) contentRepo(r *http.Request, act access.Action) (meta.Project, string, error) {
	p, err := a.project(r, access.ActionProjectRead)
	if err != nil {
		return meta.Project{}, "", err
	}
	repo, err := repoName(r, p)
	if err != nil {
		return meta.Project{}, "", err
	}
	if err := a.authorize(r, act, access.ForRepository(repo, p.Public)); err != nil {
		return meta.Project{}, "", err
	}
	return p, repo, nil
}

// scope converts an access.ProjectSet to the store's form.
func scope(s access.ProjectSet) *meta.ProjectScope {
	return &meta.ProjectScope{All: s.All, Public: s.Public, Names: s.Names}
}

// fuzzy returns the exact and substring filters of a q term on key.
func fuzzy(q Query, key string) (exact, contains string, err error) {
	t, ok := q[key]
	if !ok {
		return "", "", nil
	}
	switch t.Match {
	case MatchExact:
		return t.Value, "", nil
	case MatchFuzzy:
		return "", t.Value, nil
	}
	return "", "", badRequest("q %s supports only %s=value and %s=~value", key, key, key)
}
