package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
)

func (a *API) repositoryRoutes() {
	a.handle("GET /repositories", "repositories_search", a.searchRepositories)
	a.handle("GET /projects/{project_name_or_id}/repositories", "repositories_list", a.listRepositories)
	a.handle("GET /projects/{project_name_or_id}/repositories/{repository_name}", "repository_get", a.getRepository)
	a.handle("PUT /projects/{project_name_or_id}/repositories/{repository_name}", "repository_update", a.updateRepository)
	a.handle("DELETE /projects/{project_name_or_id}/repositories/{repository_name}", "repository_delete", a.deleteRepository)
}

// repositoryJSON is Harbor's Repository.
type repositoryJSON struct {
	ID            int64      `json:"id"`
	ProjectID     int64      `json:"project_id"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	ArtifactCount int64      `json:"artifact_count"`
	PullCount     int64      `json:"pull_count"`
	CreationTime  harborTime `json:"creation_time"`
	UpdateTime    harborTime `json:"update_time"`
}

func repositoryOut(r meta.Repository, projectID int64) repositoryJSON {
	return repositoryJSON{
		ID: r.ID, ProjectID: projectID, Name: r.Name, Description: r.Description,
		ArtifactCount: r.ArtifactCount, PullCount: r.PullCount,
		CreationTime: harborTime(r.CreatedAt), UpdateTime: harborTime(r.UpdatedAt),
	}
}

// repositoryFilter reads q (name) and sort of a repository listing.
func repositoryFilter(r *http.Request) (meta.RepositoryFilter, error) {
	var f meta.RepositoryFilter
	q, err := parseQuery(r, "name")
	if err != nil {
		return f, err
	}
	if f.Name, f.NameContains, err = fuzzy(q, "name"); err != nil {
		return f, err
	}
	switch s := strings.TrimPrefix(r.URL.Query().Get("sort"), "+"); s {
	case "", "name", "-name", "creation_time", "-creation_time", "update_time", "-update_time", "-pull_count":
		f.Sort = meta.RepositorySort(s)
	default:
		return f, badRequest("sort %q is not supported (supported: name, creation_time, update_time, each with - for descending, and -pull_count)", s)
	}
	return f, nil
}

// listRepositories is GET /projects/{p}/repositories (list). q name is
// the full name ("proj/repo"), exact or ~substring, as in Harbor.
func (a *API) listRepositories(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionList)
	if err != nil {
		return err
	}
	f, err := repositoryFilter(r)
	if err != nil {
		return err
	}
	f.Project = p.Name
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountRepositoryRecords(ctx, f) },
		func(ctx context.Context, win meta.Window) ([]meta.Repository, error) {
			return a.store.ListRepositoryRecords(ctx, f, win)
		},
		func(rp meta.Repository) repositoryJSON { return repositoryOut(rp, p.ID) })
}

// searchRepositories is GET /repositories: every repository the caller
// may pull, across projects (anonymous callers: those of public projects).
func (a *API) searchRepositories(w http.ResponseWriter, r *http.Request) error {
	f, err := repositoryFilter(r)
	if err != nil {
		return err
	}
	f.Scope = scope(a.eval.Projects(caller(r).Principal, access.ActionPull, a.now()))
	page, size, err := pageParams(r)
	if err != nil {
		return err
	}
	total, err := a.store.CountRepositoryRecords(r.Context(), f)
	if err != nil {
		return err
	}
	repos, err := a.store.ListRepositoryRecords(r.Context(), f, window(page, size))
	if err != nil {
		return err
	}
	// Project ids of the page, in one query.
	var names []string
	for _, rp := range repos {
		names = append(names, rp.Project)
	}
	ids := map[string]int64{}
	if len(names) > 0 {
		ps, err := a.store.ListProjects(r.Context(), meta.ProjectFilter{Names: names}, meta.Window{})
		if err != nil {
			return err
		}
		for _, p := range ps {
			ids[p.Name] = p.ID
		}
	}
	writePage(w, r, page, size, total, repos, func(rp meta.Repository) repositoryJSON { return repositoryOut(rp, ids[rp.Project]) })
	return nil
}

// repository reads the repository of the request after checking act.
func (a *API) repository(r *http.Request, act access.Action) (meta.Project, meta.Repository, error) {
	p, name, err := a.contentRepo(r, act)
	if err != nil {
		return meta.Project{}, meta.Repository{}, err
	}
	rp, err := a.store.GetRepositoryRecord(r.Context(), name)
	if err != nil {
		return meta.Project{}, meta.Repository{}, storeError(err, "repository "+name)
	}
	return p, rp, nil
}

// getRepository is GET /projects/{p}/repositories/{r} (read).
func (a *API) getRepository(w http.ResponseWriter, r *http.Request) error {
	p, rp, err := a.repository(r, access.ActionRead)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, repositoryOut(rp, p.ID))
	return nil
}

// updateRepository is PUT /projects/{p}/repositories/{r} (write): the
// description.
func (a *API) updateRepository(w http.ResponseWriter, r *http.Request) error {
	_, rp, err := a.repository(r, access.ActionWrite)
	if err != nil {
		return err
	}
	var req struct {
		Description string `json:"description"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Description) > 64<<10 {
		return badRequest("description over 64 KiB")
	}
	if err := a.store.SetRepositoryDescription(r.Context(), rp.Name, req.Description); err != nil {
		return storeError(err, "repository "+rp.Name)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteRepository is DELETE /projects/{p}/repositories/{r} (delete): the
// repository with its artifacts and tags; blobs are left to garbage
// collection.
func (a *API) deleteRepository(w http.ResponseWriter, r *http.Request) error {
	p, name, err := a.contentRepo(r, access.ActionDelete)
	if err != nil {
		return err
	}
	deleted, err := a.store.DeleteRepository(r.Context(), name)
	if err != nil {
		return storeError(err, "repository "+name)
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpDelete, ResourceType: "repository", Resource: name, Project: p.Name,
		Detail: map[string]string{"artifacts": strconv.Itoa(len(deleted))}})
	w.WriteHeader(http.StatusOK)
	return nil
}
