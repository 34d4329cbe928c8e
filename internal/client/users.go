package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// User is a user account as the API returns it.
type User struct {
	UserID       int64     `json:"user_id"`
	Username     string    `json:"username"`
	Email        string    `json:"email,omitempty"`
	Realname     string    `json:"realname,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	SysadminFlag bool      `json:"sysadmin_flag"`
	CreationTime time.Time `json:"creation_time"`
	UpdateTime   time.Time `json:"update_time"`
}

// UserCreationReq creates a user.
type UserCreationReq struct {
	Username string `json:"username"`
	Email    string `json:"email,omitempty"`
	Realname string `json:"realname,omitempty"`
	Comment  string `json:"comment,omitempty"`
	Password string `json:"password"`
}

// CurrentUser returns the authenticated user.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	var u User
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/users/current"}, &u)
	return u, err
}

// Users lists every user (system admins only).
func (c *Client) Users(ctx context.Context) ([]User, error) {
	return list[User](ctx, c, request{path: "/users"})
}

// UserByName returns the user called username. It returns an *Error with
// status 404 if there is none.
func (c *Client) UserByName(ctx context.Context, username string) (User, error) {
	users, err := list[User](ctx, c, request{path: "/users", query: url.Values{"q": {"username=" + url.QueryEscape(username)}}})
	if err != nil {
		return User{}, err
	}
	for _, u := range users {
		if u.Username == username {
			return u, nil
		}
	}
	return User{}, &Error{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: fmt.Sprintf("user %q not found", username)}
}

// CreateUser creates a local user.
func (c *Client) CreateUser(ctx context.Context, req UserCreationReq) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/users", body: req}, nil)
	return err
}

// DeleteUser deletes user id.
func (c *Client) DeleteUser(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/users/" + strconv.FormatInt(id, 10)}, nil)
	return err
}

// SetSysadmin grants or revokes the system admin flag of user id.
func (c *Client) SetSysadmin(ctx context.Context, id int64, admin bool) error {
	body := struct {
		SysadminFlag bool `json:"sysadmin_flag"`
	}{admin}
	_, err := c.do(ctx, request{method: http.MethodPut, path: "/users/" + strconv.FormatInt(id, 10) + "/sysadmin", body: body}, nil)
	return err
}

// ChangePassword sets the password of user id. oldPassword is required when
// users change their own password; system admins changing another user's
// may leave it empty.
func (c *Client) ChangePassword(ctx context.Context, id int64, oldPassword, newPassword string) error {
	body := struct {
		OldPassword string `json:"old_password,omitempty"`
		NewPassword string `json:"new_password"`
	}{oldPassword, newPassword}
	_, err := c.do(ctx, request{method: http.MethodPut, path: "/users/" + strconv.FormatInt(id, 10) + "/password", body: body}, nil)
	return err
}
