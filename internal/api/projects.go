package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
)

func (a *API) projectRoutes() {
	a.handle("GET /projects", "projects_list", a.listProjects)
	a.handle("HEAD /projects", "project_head", a.headProject)
	a.handle("POST /projects", "project_create", a.createProject)
	a.handle("GET /projects/{project_name_or_id}", "project_get", a.getProject)
	a.handle("PUT /projects/{project_name_or_id}", "project_update", a.updateProject)
	a.handle("DELETE /projects/{project_name_or_id}", "project_delete", a.deleteProject)
	a.handle("GET /projects/{project_name_or_id}/summary", "project_summary", a.projectSummary)
}

// projectNameRE is Harbor's rule for project names (1 to 255 characters).
var projectNameRE = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// Metadata keys Berth keeps for itself in meta.Project.Metadata; they are
// never shown as project metadata nor accepted from clients.
const (
	mdOwnerID   = "_owner_id"
	mdOwnerName = "_owner_name"
)

// projectMetadataKeys are the metadata keys Harbor's ProjectMetadata has,
// with whether the value is a boolean ("true"/"false").
var projectMetadataKeys = map[string]bool{
	"public": true, "enable_content_trust": true, "enable_content_trust_cosign": true,
	"prevent_vul": true, "severity": false, "auto_scan": true, "auto_sbom_generation": true,
	"reuse_sys_cve_allowlist": true, "retention_id": false, "proxy_speed_kb": false,
}

// projectJSON is Harbor's Project.
type projectJSON struct {
	ProjectID          int64             `json:"project_id"`
	OwnerID            int64             `json:"owner_id"`
	Name               string            `json:"name"`
	RegistryID         *int64            `json:"registry_id,omitempty"`
	CreationTime       harborTime        `json:"creation_time"`
	UpdateTime         harborTime        `json:"update_time"`
	Deleted            bool              `json:"deleted"`
	OwnerName          string            `json:"owner_name"`
	Togglable          bool              `json:"togglable"`
	CurrentUserRoleID  int               `json:"current_user_role_id"`
	CurrentUserRoleIDs []int             `json:"current_user_role_ids"`
	RepoCount          int64             `json:"repo_count"`
	Metadata           map[string]string `json:"metadata"`
}

// projectOut renders p for the request's caller.
func (a *API) projectOut(r *http.Request, p meta.Project, repoCount int64) projectJSON {
	out := projectJSON{
		ProjectID: p.ID, Name: p.Name, CreationTime: harborTime(p.CreatedAt), UpdateTime: harborTime(p.UpdatedAt),
		RepoCount: repoCount, Metadata: map[string]string{"public": strconv.FormatBool(p.Public)},
		CurrentUserRoleIDs: []int{},
	}
	for k, v := range p.Metadata {
		switch {
		case k == mdOwnerID:
			out.OwnerID, _ = strconv.ParseInt(v, 10, 64)
		case k == mdOwnerName:
			out.OwnerName = v
		case !strings.HasPrefix(k, "_") && k != "public":
			out.Metadata[k] = v
		}
	}
	c := caller(r)
	if role, ok := c.Principal.Roles[p.Name]; ok && c.Principal.Kind == access.KindUser {
		out.CurrentUserRoleID = role.HarborID()
		out.CurrentUserRoleIDs = []int{role.HarborID()}
	}
	out.Togglable = a.eval.Allowed(c.Principal, access.ActionProjectWrite, access.ForProject(p.Name, p.Public), a.now())
	return out
}

// listProjects is GET /projects: the projects the caller may read,
// filtered by q (name, public, project_id), name (substring) and public.
func (a *API) listProjects(w http.ResponseWriter, r *http.Request) error {
	if err := checkSort(r, "name", "+name"); err != nil {
		return err
	}
	q, err := parseQuery(r, "name", "public", "project_id")
	if err != nil {
		return err
	}
	f := meta.ProjectFilter{Scope: scope(a.eval.Projects(caller(r).Principal, access.ActionProjectRead, a.now()))}
	if f.Name, f.NameContains, err = fuzzy(q, "name"); err != nil {
		return err
	}
	if v := r.URL.Query().Get("name"); v != "" {
		f.NameContains = v
	}
	pub := r.URL.Query().Get("public")
	if t, ok := q["public"]; ok {
		pub = t.Value
	}
	if pub != "" {
		b, err := strconv.ParseBool(pub)
		if err != nil {
			return badRequest("public must be true or false")
		}
		f.Public = &b
	}
	if t, ok := q["project_id"]; ok {
		id, err := strconv.ParseInt(t.Value, 10, 64)
		if err != nil || t.Match != MatchExact {
			return badRequest("q project_id must be project_id=<id>")
		}
		p, err := a.store.GetProject(r.Context(), id)
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		f.Names = []string{p.Name} // "" matches nothing when there is no such project
	}
	page, size, err := pageParams(r)
	if err != nil {
		return err
	}
	total, err := a.store.CountProjects(r.Context(), f)
	if err != nil {
		return err
	}
	ps, err := a.store.ListProjects(r.Context(), f, window(page, size))
	if err != nil {
		return err
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	counts, err := a.store.RepositoryCounts(r.Context(), names)
	if err != nil {
		return err
	}
	writePage(w, r, page, size, total, ps, func(p meta.Project) projectJSON { return a.projectOut(r, p, counts[p.Name]) })
	return nil
}

// headProject is HEAD /projects?project_name=NAME: 200 if the project
// exists, 404 if not; for authenticated callers, as Harbor's create dialog
// uses it.
func (a *API) headProject(w http.ResponseWriter, r *http.Request) error {
	if caller(r).Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	name := r.URL.Query().Get("project_name")
	if name == "" {
		return badRequest("project_name is required")
	}
	if _, err := a.store.GetProjectByName(r.Context(), name); err != nil {
		return storeError(err, "project")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// projectReq is Harbor's ProjectReq.
type projectReq struct {
	ProjectName  string            `json:"project_name"`
	Public       *bool             `json:"public"`
	Metadata     map[string]string `json:"metadata"`
	StorageLimit *int64            `json:"storage_limit"`
	RegistryID   *int64            `json:"registry_id"`
}

// apply sets p's visibility and metadata from the request.
func (req projectReq) apply(p *meta.Project) error {
	if req.RegistryID != nil && *req.RegistryID != 0 {
		return badRequest("proxy cache projects (registry_id) are not supported")
	}
	if req.Public != nil {
		p.Public = *req.Public
	}
	for k, v := range req.Metadata {
		isBool, known := projectMetadataKeys[k]
		if !known {
			return badRequest("unknown project metadata key %q", k)
		}
		if isBool && v != "true" && v != "false" {
			return badRequest("project metadata %s must be \"true\" or \"false\"", k)
		}
		if k == "public" {
			p.Public = v == "true"
			continue
		}
		if p.Metadata == nil {
			p.Metadata = map[string]string{}
		}
		p.Metadata[k] = v
	}
	return nil
}

// createProject is POST /projects (project.create). The creating user
// becomes the project's projectAdmin, as in Harbor. storage_limit is
// honoured for callers who may change system settings (-1: no limit).
func (a *API) createProject(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionProjectCreate, access.Resource{}); err != nil {
		return err
	}
	var req projectReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.ProjectName) > 255 || !projectNameRE.MatchString(req.ProjectName) {
		return badRequest("invalid project name %q: lower-case letters, digits and ._- (not at the start or end), at most 255 characters", req.ProjectName)
	}
	c := caller(r)
	p := meta.Project{Name: req.ProjectName}
	if err := req.apply(&p); err != nil {
		return err
	}
	if req.StorageLimit != nil && a.eval.Allowed(c.Principal, access.ActionSystemWrite, access.Resource{}, a.now()) {
		switch n := *req.StorageLimit; {
		case n == -1:
		case n > 0:
			p.QuotaBytes = &n
		default:
			return badRequest("storage_limit must be -1 (unlimited) or a positive number of bytes")
		}
	}
	if c.UserID != 0 {
		if p.Metadata == nil {
			p.Metadata = map[string]string{}
		}
		p.Metadata[mdOwnerID] = strconv.FormatInt(c.UserID, 10)
		p.Metadata[mdOwnerName] = c.Principal.Name
	}
	p, err := a.store.CreateProject(r.Context(), p)
	if err != nil {
		return storeError(err, "project "+strconv.Quote(req.ProjectName))
	}
	if c.UserID != 0 {
		_, err := a.store.AddMember(r.Context(), meta.Member{ProjectID: p.ID, UserID: c.UserID, Role: meta.RoleProjectAdmin})
		if err != nil {
			// Do not leave a project its creator cannot manage.
			if derr := a.store.DeleteProject(context.WithoutCancel(r.Context()), p.ID); derr != nil {
				a.log.ErrorContext(r.Context(), "remove project after failed membership", "project", p.Name, "err", derr)
			}
			return err
		}
	}
	a.audit(r, meta.AuditEvent{Operation: "create", ResourceType: "project", Resource: p.Name, Project: p.Name})
	if c.UserID != 0 {
		a.audit(r, meta.AuditEvent{Operation: meta.OpMemberAdd, ResourceType: "member", Resource: c.Principal.Name,
			Project: p.Name, Detail: map[string]string{"role": string(meta.RoleProjectAdmin)}})
	}
	w.Header().Set("Location", Prefix+"/projects/"+strconv.FormatInt(p.ID, 10))
	w.WriteHeader(http.StatusCreated)
	return nil
}

// getProject is GET /projects/{p} (project.read).
func (a *API) getProject(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionProjectRead)
	if err != nil {
		return err
	}
	counts, err := a.store.RepositoryCounts(r.Context(), []string{p.Name})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.projectOut(r, p, counts[p.Name]))
	return nil
}

// updateProject is PUT /projects/{p} (project.write): visibility and
// metadata; the name cannot change and quotas are not set here.
func (a *API) updateProject(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionProjectWrite)
	if err != nil {
		return err
	}
	var req projectReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ProjectName != "" && req.ProjectName != p.Name {
		return badRequest("a project cannot be renamed")
	}
	if err := req.apply(&p); err != nil {
		return err
	}
	if _, err := a.store.UpdateProject(r.Context(), p); err != nil {
		return storeError(err, "project")
	}
	a.audit(r, meta.AuditEvent{Operation: "update", ResourceType: "project", Resource: p.Name, Project: p.Name})
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteProject is DELETE /projects/{p} (project.delete): 412 while any
// repository of the project holds an artifact, as Harbor answers.
func (a *API) deleteProject(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionProjectDelete)
	if err != nil {
		return err
	}
	if err := a.store.DeleteProject(r.Context(), p.ID); err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return newError(http.StatusPreconditionFailed, CodePrecondition, "project %s contains repositories; delete them first", p.Name)
		}
		return storeError(err, "project")
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpDelete, ResourceType: "project", Resource: p.Name, Project: p.Name})
	w.WriteHeader(http.StatusOK)
	return nil
}

// summaryJSON is Harbor's ProjectSummary.
type summaryJSON struct {
	RepoCount         int64      `json:"repo_count"`
	ProjectAdminCount *int64     `json:"project_admin_count,omitempty"`
	MaintainerCount   *int64     `json:"maintainer_count,omitempty"`
	DeveloperCount    *int64     `json:"developer_count,omitempty"`
	GuestCount        *int64     `json:"guest_count,omitempty"`
	LimitedGuestCount *int64     `json:"limited_guest_count,omitempty"`
	Quota             *quotaJSON `json:"quota,omitempty"`
}

type quotaJSON struct {
	Hard map[string]int64 `json:"hard"`
	Used map[string]int64 `json:"used"`
}

// projectSummary is GET /projects/{p}/summary (project.read): repository
// count, storage use and limit, and member counts by role for callers who
// may see the members.
func (a *API) projectSummary(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionProjectRead)
	if err != nil {
		return err
	}
	u, err := a.store.ProjectUsage(r.Context(), p.Name)
	if err != nil {
		return err
	}
	hard := int64(-1)
	if p.QuotaBytes != nil {
		hard = *p.QuotaBytes
	}
	out := summaryJSON{RepoCount: u.RepoCount, Quota: &quotaJSON{
		Hard: map[string]int64{"storage": hard}, Used: map[string]int64{"storage": u.StorageBytes},
	}}
	if a.eval.Allowed(caller(r).Principal, access.ActionMemberRead, access.ForProject(p.Name, p.Public), a.now()) {
		for _, x := range []struct {
			role meta.Role
			dst  **int64
		}{
			{meta.RoleProjectAdmin, &out.ProjectAdminCount}, {meta.RoleMaintainer, &out.MaintainerCount},
			{meta.RoleDeveloper, &out.DeveloperCount}, {meta.RoleGuest, &out.GuestCount},
			{meta.RoleLimitedGuest, &out.LimitedGuestCount},
		} {
			n, err := a.store.CountMembers(r.Context(), p.ID, meta.MemberFilter{Role: x.role})
			if err != nil {
				return err
			}
			*x.dst = &n
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
