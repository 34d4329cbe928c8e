package meta

import (
	"context"
	"time"
)

// Role is a project member's role, named as in Harbor.
type Role string

// Project roles, from most to least powerful. What each may do is decided by
// the access package; the store only keeps the name.
const (
	RoleProjectAdmin Role = "projectAdmin"
	RoleMaintainer   Role = "maintainer"
	RoleDeveloper    Role = "developer"
	RoleGuest        Role = "guest"
	RoleLimitedGuest Role = "limitedGuest"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleProjectAdmin, RoleMaintainer, RoleDeveloper, RoleGuest, RoleLimitedGuest:
		return true
	}
	return false
}

// MemberKind is what a membership grants a role to.
type MemberKind string

// Member kinds. Only users exist so far; groups (LDAP/OIDC) come later and
// get their own column, so the schema already keys memberships by kind.
const (
	MemberUser  MemberKind = "user"
	MemberGroup MemberKind = "group" // reserved; rejected with ErrInvalid for now
)

// Member grants Role in a project to a user (later: a group). Its ID is the
// membership id of Harbor's /projects/{p}/members/{mid} routes.
type Member struct {
	ID          int64
	ProjectID   int64
	ProjectName string // filled on reads
	Kind        MemberKind
	UserID      int64
	EntityName  string // filled on reads: the username (later: the group name)
	Role        Role
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// MemberFilter narrows ListMembers and CountMembers; zero fields do not
// filter.
type MemberFilter struct {
	EntityNameContains string // substring of the username, case-sensitive
	Role               Role
}

// Members holds project memberships.
type Members interface {
	// AddMember stores membership m (ID and timestamps set by the store;
	// Kind defaults to MemberUser) and returns it with the read-only fields
	// filled. ErrConflict if the user is already a member of the project;
	// ErrNotFound if the project or user does not exist; ErrInvalid for an
	// unknown role or kind.
	AddMember(ctx context.Context, m Member) (Member, error)
	// GetMember returns membership id of project projectID, or ErrNotFound.
	GetMember(ctx context.Context, projectID, id int64) (Member, error)
	// MemberRole returns the role of user userID in project projectID, or
	// ErrNotFound if the user is not a member. One indexed lookup: it is on
	// the authorization path.
	MemberRole(ctx context.Context, projectID, userID int64) (Role, error)
	// UpdateMemberRole changes the role of membership id of project
	// projectID. ErrNotFound if there is no such membership; ErrInvalid for
	// an unknown role.
	UpdateMemberRole(ctx context.Context, projectID, id int64, role Role) error
	// RemoveMember deletes membership id of project projectID. ErrNotFound
	// if there is no such membership.
	RemoveMember(ctx context.Context, projectID, id int64) error
	// ListMembers lists the members of project projectID matching f, by
	// entity name (byte order). An unknown project gives an empty list.
	ListMembers(ctx context.Context, projectID int64, f MemberFilter, w Window) ([]Member, error)
	// CountMembers counts the members of project projectID matching f.
	CountMembers(ctx context.Context, projectID int64, f MemberFilter) (int64, error)
	// UserMemberships lists every membership of user userID, by project
	// name: what a token service needs to grant scopes in one query.
	UserMemberships(ctx context.Context, userID int64) ([]Member, error)
}
