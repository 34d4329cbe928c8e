package meta

import (
	"context"
	"time"
)

// UserSource says where a user's credentials live.
type UserSource string

// User sources.
const (
	SourceLocal    UserSource = "local"    // password hash in the store
	SourceHtpasswd UserSource = "htpasswd" // read-only htpasswd file
	SourceLDAP     UserSource = "ldap"
	SourceOIDC     UserSource = "oidc"
)

// Valid reports whether s is one of the known sources.
func (s UserSource) Valid() bool {
	switch s {
	case SourceLocal, SourceHtpasswd, SourceLDAP, SourceOIDC:
		return true
	}
	return false
}

// User is a person who can log in.
type User struct {
	ID       int64
	Username string // unique, byte-exact, immutable
	Email    string
	Realname string
	Comment  string
	// PasswordHash is the encoded hash (argon2id or bcrypt, PHC/modular
	// form) for local users; "" when the source holds the credentials.
	PasswordHash string
	Sysadmin     bool
	Disabled     bool
	Source       UserSource
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  time.Time // zero if the user never logged in
}

// UserFilter narrows ListUsers and CountUsers; zero fields do not filter.
type UserFilter struct {
	Username         string // exact
	UsernameContains string // substring, case-sensitive
	Email            string // exact
	Source           UserSource
	Sysadmin         *bool
}

// Users holds users. Deleting a user deletes their memberships and access
// tokens; audit events keep the username as text.
type Users interface {
	// CreateUser stores u (ID and timestamps are set by the store; Source
	// defaults to SourceLocal) and returns it. ErrConflict if the username is
	// taken; ErrInvalid if it is empty or Source is unknown.
	CreateUser(ctx context.Context, u User) (User, error)
	// GetUser returns user id, or ErrNotFound.
	GetUser(ctx context.Context, id int64) (User, error)
	// GetUserByName returns the user called username, or ErrNotFound.
	GetUserByName(ctx context.Context, username string) (User, error)
	// UpdateUser saves Email, Realname, Comment, Sysadmin and Disabled of
	// user u.ID (not the username, source or password) and returns the
	// stored record. ErrNotFound if there is no such user.
	UpdateUser(ctx context.Context, u User) (User, error)
	// SetUserPassword replaces the password hash of user id. ErrNotFound if
	// there is no such user.
	SetUserPassword(ctx context.Context, id int64, hash string) error
	// RecordLogin sets the last login time of user id. ErrNotFound if there
	// is no such user.
	RecordLogin(ctx context.Context, id int64, at time.Time) error
	// DeleteUser deletes user id with their memberships and access tokens.
	// ErrNotFound if there is no such user.
	DeleteUser(ctx context.Context, id int64) error
	// ListUsers lists the users matching f in username (byte) order.
	ListUsers(ctx context.Context, f UserFilter, w Window) ([]User, error)
	// CountUsers counts the users matching f.
	CountUsers(ctx context.Context, f UserFilter) (int64, error)
}
