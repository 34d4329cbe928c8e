package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Project roles by Harbor role id.
const (
	RoleProjectAdmin = 1
	RoleDeveloper    = 2
	RoleGuest        = 3
	RoleMaintainer   = 4
	RoleLimitedGuest = 5
)

// RoleID returns the Harbor role id of a role name (projectAdmin,
// maintainer, developer, guest, limitedGuest; case-insensitive).
func RoleID(name string) (int, error) {
	for id := RoleProjectAdmin; id <= RoleLimitedGuest; id++ {
		if strings.EqualFold(RoleName(id), name) {
			return id, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q (want projectAdmin, maintainer, developer, guest or limitedGuest)", name)
}

// RoleName returns the name of role id as Harbor's role_name reports it,
// or "role N" for an unknown id.
func RoleName(id int) string {
	switch id {
	case RoleProjectAdmin:
		return "projectAdmin"
	case RoleDeveloper:
		return "developer"
	case RoleGuest:
		return "guest"
	case RoleMaintainer:
		return "maintainer"
	case RoleLimitedGuest:
		return "limitedGuest"
	}
	return "role " + strconv.Itoa(id)
}

// Member is a project membership as the API returns it.
type Member struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	EntityName string `json:"entity_name"`
	EntityID   int64  `json:"entity_id"`
	EntityType string `json:"entity_type"` // "u" for a user, "g" for a group
	RoleID     int    `json:"role_id"`
	RoleName   string `json:"role_name"`
}

func membersPath(project string) string { return "/projects/" + seg(project) + "/members" }

// Members lists the members of project.
func (c *Client) Members(ctx context.Context, project string) ([]Member, error) {
	return list[Member](ctx, c, request{path: membersPath(project)})
}

// Member returns the membership of user username in project. It returns an
// *Error with status 404 if the user is not a member.
func (c *Client) Member(ctx context.Context, project, username string) (Member, error) {
	ms, err := list[Member](ctx, c, request{path: membersPath(project), query: url.Values{"entityname": {username}}})
	if err != nil {
		return Member{}, err
	}
	for _, m := range ms {
		if m.EntityName == username && (m.EntityType == "" || m.EntityType == "u") {
			return m, nil
		}
	}
	return Member{}, &Error{Status: http.StatusNotFound, Code: "NOT_FOUND",
		Message: fmt.Sprintf("user %q is not a member of project %q", username, project)}
}

// AddMember makes user username a member of project with role roleID.
func (c *Client) AddMember(ctx context.Context, project, username string, roleID int) error {
	type user struct {
		Username string `json:"username"`
	}
	body := struct {
		RoleID     int  `json:"role_id"`
		MemberUser user `json:"member_user"`
	}{roleID, user{username}}
	_, err := c.do(ctx, request{method: http.MethodPost, path: membersPath(project), body: body}, nil)
	return err
}

// UpdateMember changes the role of membership id of project.
func (c *Client) UpdateMember(ctx context.Context, project string, id int64, roleID int) error {
	body := struct {
		RoleID int `json:"role_id"`
	}{roleID}
	path := membersPath(project) + "/" + strconv.FormatInt(id, 10)
	_, err := c.do(ctx, request{method: http.MethodPut, path: path, body: body}, nil)
	return err
}

// RemoveMember removes membership id from project.
func (c *Client) RemoveMember(ctx context.Context, project string, id int64) error {
	path := membersPath(project) + "/" + strconv.FormatInt(id, 10)
	_, err := c.do(ctx, request{method: http.MethodDelete, path: path}, nil)
	return err
}
