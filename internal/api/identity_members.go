package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
)

func (a *API) memberRoutes() {
	a.handle("GET /projects/{project_name_or_id}/members", "members_list", a.listMembers)
	a.handle("POST /projects/{project_name_or_id}/members", "member_create", a.createMember)
	a.handle("GET /projects/{project_name_or_id}/members/{mid}", "member_get", a.getMember)
	a.handle("PUT /projects/{project_name_or_id}/members/{mid}", "member_update", a.updateMember)
	a.handle("DELETE /projects/{project_name_or_id}/members/{mid}", "member_delete", a.deleteMember)
}

// memberJSON is Harbor's ProjectMemberEntity. Only user members exist, so
// entity_type is always "u".
type memberJSON struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	EntityName string `json:"entity_name"`
	RoleName   string `json:"role_name"`
	RoleID     int    `json:"role_id"`
	EntityID   int64  `json:"entity_id"`
	EntityType string `json:"entity_type"`
}

func memberOut(m meta.Member) memberJSON {
	return memberJSON{
		ID: m.ID, ProjectID: m.ProjectID, EntityName: m.EntityName, RoleName: string(m.Role),
		RoleID: access.Role(m.Role).HarborID(), EntityID: m.UserID, EntityType: "u",
	}
}

// listMembers is GET /projects/{p}/members: member.read (not limited
// guests); entityname filters by a part of the username.
func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionMemberRead)
	if err != nil {
		return err
	}
	f := meta.MemberFilter{EntityNameContains: r.URL.Query().Get("entityname")}
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountMembers(ctx, p.ID, f) },
		func(ctx context.Context, win meta.Window) ([]meta.Member, error) {
			return a.store.ListMembers(ctx, p.ID, f, win)
		},
		memberOut)
}

// memberReq is Harbor's ProjectMember (POST) and RoleRequest (PUT).
type memberReq struct {
	RoleID     int `json:"role_id"`
	MemberUser *struct {
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
	} `json:"member_user"`
	MemberGroup any `json:"member_group"`
}

// role returns the request's role, or a 400.
func (m memberReq) role() (meta.Role, error) {
	role, ok := access.RoleFromHarborID(m.RoleID)
	if !ok {
		return "", badRequest("unknown role_id %d (1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest)", m.RoleID)
	}
	return meta.Role(role), nil
}

// createMember is POST /projects/{p}/members: member.write; adds a user by
// id or name with a role.
func (a *API) createMember(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionMemberWrite)
	if err != nil {
		return err
	}
	var req memberReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := req.role()
	if err != nil {
		return err
	}
	if req.MemberGroup != nil {
		return badRequest("group members are not supported")
	}
	var u meta.User
	switch {
	case req.MemberUser == nil || (req.MemberUser.UserID == 0 && req.MemberUser.Username == ""):
		return badRequest("member_user with user_id or username is required")
	case req.MemberUser.UserID != 0:
		u, err = a.store.GetUser(r.Context(), req.MemberUser.UserID)
		err = storeError(err, "user "+strconv.FormatInt(req.MemberUser.UserID, 10))
	default:
		u, err = a.store.GetUserByName(r.Context(), req.MemberUser.Username)
		err = storeError(err, "user "+strconv.Quote(req.MemberUser.Username))
	}
	if err != nil {
		return err
	}
	m, err := a.store.AddMember(r.Context(), meta.Member{ProjectID: p.ID, Kind: meta.MemberUser, UserID: u.ID, Role: role})
	if err != nil {
		return storeError(err, "membership of "+strconv.Quote(u.Username))
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpMemberAdd, ResourceType: "member", Resource: u.Username,
		Project: p.Name, Detail: map[string]string{"role": string(role)}})
	w.Header().Set("Location", r.URL.Path+"/"+strconv.FormatInt(m.ID, 10))
	w.WriteHeader(http.StatusCreated)
	return nil
}

// member loads membership {mid} of project p.
func (a *API) member(r *http.Request, p meta.Project) (meta.Member, error) {
	id, err := pathID(r, "mid")
	if err != nil {
		return meta.Member{}, err
	}
	m, err := a.store.GetMember(r.Context(), p.ID, id)
	if err != nil {
		return meta.Member{}, storeError(err, "member "+strconv.FormatInt(id, 10))
	}
	return m, nil
}

// getMember is GET /projects/{p}/members/{mid}: member.read.
func (a *API) getMember(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionMemberRead)
	if err != nil {
		return err
	}
	m, err := a.member(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, memberOut(m))
	return nil
}

// changeableMember loads membership {mid} for a change: member.write, and
// never the caller's own membership unless they are a system admin (a
// project admin demoting or removing themselves could leave the project
// without one).
func (a *API) changeableMember(r *http.Request) (meta.Project, meta.Member, error) {
	p, err := a.project(r, access.ActionMemberWrite)
	if err != nil {
		return meta.Project{}, meta.Member{}, err
	}
	m, err := a.member(r, p)
	if err != nil {
		return meta.Project{}, meta.Member{}, err
	}
	if c := caller(r); c.UserID != 0 && c.UserID == m.UserID && !c.Principal.SystemAdmin {
		return meta.Project{}, meta.Member{}, newError(http.StatusForbidden, CodeForbidden, "you cannot change your own membership")
	}
	return p, m, nil
}

// updateMember is PUT /projects/{p}/members/{mid}: member.write; changes
// the role.
func (a *API) updateMember(w http.ResponseWriter, r *http.Request) error {
	p, m, err := a.changeableMember(r)
	if err != nil {
		return err
	}
	var req memberReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := req.role()
	if err != nil {
		return err
	}
	if err := a.store.UpdateMemberRole(r.Context(), p.ID, m.ID, role); err != nil {
		return storeError(err, "member "+strconv.FormatInt(m.ID, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpMemberUpdate, ResourceType: "member", Resource: m.EntityName,
		Project: p.Name, Detail: map[string]string{"role": string(role), "previous_role": string(m.Role)}})
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteMember is DELETE /projects/{p}/members/{mid}: member.write.
func (a *API) deleteMember(w http.ResponseWriter, r *http.Request) error {
	p, m, err := a.changeableMember(r)
	if err != nil {
		return err
	}
	if err := a.store.RemoveMember(r.Context(), p.ID, m.ID); err != nil {
		return storeError(err, "member "+strconv.FormatInt(m.ID, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: meta.OpMemberRemove, ResourceType: "member", Resource: m.EntityName,
		Project: p.Name, Detail: map[string]string{"role": string(m.Role)}})
	w.WriteHeader(http.StatusOK)
	return nil
}
