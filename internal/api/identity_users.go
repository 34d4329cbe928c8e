package api

import (
	"context"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
)

// Audit operations on user accounts (the store accepts any operation name).
const (
	opUserCreate   = "user.create"
	opUserUpdate   = "user.update"
	opUserDelete   = "user.delete"
	opUserPassword = "user.password"
	opUserSysadmin = "user.sysadmin"
)

// Limits on user fields, as Harbor's.
const (
	maxUsernameLen = 255
	maxUserField   = 255
)

func (a *API) userRoutes() {
	a.handle("GET /users", "users_list", a.listUsers)
	a.handle("POST /users", "user_create", a.createUser)
	a.handle("GET /users/current", "user_current", a.currentUser)
	a.handle("GET /users/search", "users_search", a.searchUsers)
	a.handle("GET /users/{user_id}", "user_get", a.getUser)
	a.handle("PUT /users/{user_id}", "user_update", a.updateUser)
	a.handle("DELETE /users/{user_id}", "user_delete", a.deleteUser)
	a.handle("PUT /users/{user_id}/password", "user_password", a.setUserPassword)
	a.handle("PUT /users/{user_id}/sysadmin", "user_sysadmin", a.setUserSysadmin)
}

// userJSON is Harbor's UserResp, with Berth's disabled flag added. The
// password never leaves the server.
type userJSON struct {
	UserID       int64      `json:"user_id"`
	Username     string     `json:"username"`
	Email        string     `json:"email"`
	Realname     string     `json:"realname"`
	Comment      string     `json:"comment"`
	SysadminFlag bool       `json:"sysadmin_flag"`
	Disabled     bool       `json:"disabled"`
	CreationTime harborTime `json:"creation_time"`
	UpdateTime   harborTime `json:"update_time"`
}

func userOut(u meta.User) userJSON {
	return userJSON{
		UserID: u.ID, Username: u.Username, Email: u.Email, Realname: u.Realname, Comment: u.Comment,
		SysadminFlag: u.Sysadmin, Disabled: u.Disabled, CreationTime: harborTime(u.CreatedAt), UpdateTime: harborTime(u.UpdatedAt),
	}
}

// listUsers is GET /users: system admins only; q username (exact or
// fuzzy) and email (exact).
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionUserRead, access.Resource{}); err != nil {
		return err
	}
	q, err := parseQuery(r, "username", "email")
	if err != nil {
		return err
	}
	if err := checkSort(r, "username"); err != nil {
		return err
	}
	var f meta.UserFilter
	if t, ok := q["username"]; ok {
		switch t.Match {
		case MatchExact:
			f.Username = t.Value
		case MatchFuzzy:
			f.UsernameContains = t.Value
		default:
			return badRequest("q username must be exact (username=x) or fuzzy (username=~x)")
		}
	}
	if t, ok := q["email"]; ok {
		if t.Match != MatchExact {
			return badRequest("q email must be exact (email=x)")
		}
		f.Email = t.Value
	}
	return serveUsers(w, r, a.store, f, userOut)
}

// userCreateReq is Harbor's UserCreationReq.
type userCreateReq struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Realname string `json:"realname"`
	Password string `json:"password"`
	Comment  string `json:"comment"`
}

// checkUsername applies Harbor's rules: non-empty, at most 255 characters,
// none of the characters Harbor refuses.
func checkUsername(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return badRequest("username is required")
	case len(name) > maxUsernameLen:
		return badRequest("username must be at most %d characters long", maxUsernameLen)
	case strings.ContainsAny(name, `,"~#%$:/ `+"\t\r\n"):
		return badRequest(`username must not contain spaces or any of , " ~ # %% $ : /`)
	case strings.HasPrefix(name, "robot$"):
		return badRequest("username must not start with robot$")
	}
	return nil
}

// checkProfile validates the free-text profile fields.
func checkProfile(email, realname, comment string) error {
	if email != "" {
		if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
			return badRequest("email %q is not a valid address", email)
		}
	}
	for _, f := range []struct{ name, v string }{{"email", email}, {"realname", realname}, {"comment", comment}} {
		if len(f.v) > maxUserField {
			return badRequest("%s must be at most %d characters long", f.name, maxUserField)
		}
	}
	return nil
}

// createUser is POST /users: system admins, or anonymous callers when
// self-registration is on (the new user is never an admin).
func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	if !a.opt.SelfRegistration || !caller(r).Anonymous() {
		if err := a.authorize(r, access.ActionUserWrite, access.Resource{}); err != nil {
			return err
		}
	}
	var req userCreateReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := checkUsername(req.Username); err != nil {
		return err
	}
	if err := checkProfile(req.Email, req.Realname, req.Comment); err != nil {
		return err
	}
	if err := checkPasswordPolicy("password", req.Password); err != nil {
		return err
	}
	hash, err := password.Hash(req.Password)
	if err != nil {
		return err
	}
	u, err := a.store.CreateUser(r.Context(), meta.User{
		Username: req.Username, Email: req.Email, Realname: req.Realname, Comment: req.Comment,
		PasswordHash: hash, Source: meta.SourceLocal,
	})
	if err != nil {
		return storeError(err, "user "+strconv.Quote(req.Username))
	}
	a.audit(r, meta.AuditEvent{Operation: opUserCreate, ResourceType: "user", Resource: u.Username})
	w.Header().Set("Location", Prefix+"/users/"+strconv.FormatInt(u.ID, 10))
	w.WriteHeader(http.StatusCreated)
	return nil
}

// currentUser is GET /users/current: the calling user's own record. A user
// the store does not hold (an htpasswd user never seen before) gets a
// record made from the principal.
func (a *API) currentUser(w http.ResponseWriter, r *http.Request) error {
	c, err := a.requireUser(r)
	if err != nil {
		return err
	}
	if c.UserID == 0 {
		writeJSON(w, http.StatusOK, userJSON{Username: c.Principal.Name, SysadminFlag: c.Principal.SystemAdmin})
		return nil
	}
	u, err := a.store.GetUser(r.Context(), c.UserID)
	if err != nil {
		return storeError(err, "current user")
	}
	writeJSON(w, http.StatusOK, userOut(u))
	return nil
}

// userSearchJSON is Harbor's UserSearchRespItem.
type userSearchJSON struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// searchUsers is GET /users/search?username=: any logged-in user may find
// users by a part of their name (to add them as members); it reveals
// nothing but ids and names.
func (a *API) searchUsers(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.requireUser(r); err != nil {
		return err
	}
	name := r.URL.Query().Get("username")
	if name == "" {
		return badRequest("username is required")
	}
	return serveUsers(w, r, a.store, meta.UserFilter{UsernameContains: name}, func(u meta.User) userSearchJSON {
		return userSearchJSON{UserID: u.ID, Username: u.Username}
	})
}

// serveUsers answers a page of the users matching f, each shown by out.
func serveUsers[J any](w http.ResponseWriter, r *http.Request, users meta.Users, f meta.UserFilter, out func(meta.User) J) error {
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return users.CountUsers(ctx, f) },
		func(ctx context.Context, win meta.Window) ([]meta.User, error) { return users.ListUsers(ctx, f, win) },
		out)
}

// userOrSelf loads user {user_id} if the caller is that user or may perform
// act on users (a system admin).
func (a *API) userOrSelf(r *http.Request, act access.Action) (meta.User, bool, error) {
	id, err := pathID(r, "user_id")
	if err != nil {
		return meta.User{}, false, err
	}
	c := caller(r)
	self := a.activeUser(c.Principal) && c.UserID == id
	if !self {
		if err := a.authorize(r, act, access.Resource{}); err != nil {
			return meta.User{}, false, err
		}
	}
	u, err := a.store.GetUser(r.Context(), id)
	if err != nil {
		return meta.User{}, false, storeError(err, "user "+strconv.FormatInt(id, 10))
	}
	return u, self, nil
}

// getUser is GET /users/{user_id}: the user themself or a system admin.
func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, _, err := a.userOrSelf(r, access.ActionUserRead)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userOut(u))
	return nil
}

// userProfileReq is Harbor's UserProfile, with Berth's disabled flag.
// Absent fields keep their value.
type userProfileReq struct {
	Email    *string `json:"email"`
	Realname *string `json:"realname"`
	Comment  *string `json:"comment"`
	Disabled *bool   `json:"disabled"`
}

// updateUser is PUT /users/{user_id}: users change their own profile,
// system admins anyone's; only admins may disable or enable a user, and
// not themselves.
func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	u, self, err := a.userOrSelf(r, access.ActionUserWrite)
	if err != nil {
		return err
	}
	var req userProfileReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	for _, f := range []struct {
		src *string
		dst *string
	}{{req.Email, &u.Email}, {req.Realname, &u.Realname}, {req.Comment, &u.Comment}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if err := checkProfile(u.Email, u.Realname, u.Comment); err != nil {
		return err
	}
	if req.Disabled != nil && *req.Disabled != u.Disabled {
		if self {
			return newError(http.StatusForbidden, CodeForbidden, "you cannot disable or enable your own account")
		}
		if err := a.authorize(r, access.ActionUserWrite, access.Resource{}); err != nil {
			return err
		}
		u.Disabled = *req.Disabled
	}
	if _, err := a.store.UpdateUser(r.Context(), u); err != nil {
		return storeError(err, "user "+strconv.FormatInt(u.ID, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opUserUpdate, ResourceType: "user", Resource: u.Username})
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteUser is DELETE /users/{user_id}: system admins, never on
// themselves.
func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionUserWrite, access.Resource{}); err != nil {
		return err
	}
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	if caller(r).UserID == id {
		return newError(http.StatusForbidden, CodeForbidden, "you cannot delete your own account")
	}
	u, err := a.store.GetUser(r.Context(), id)
	if err != nil {
		return storeError(err, "user "+strconv.FormatInt(id, 10))
	}
	if err := a.store.DeleteUser(r.Context(), id); err != nil {
		return storeError(err, "user "+strconv.FormatInt(id, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opUserDelete, ResourceType: "user", Resource: u.Username})
	w.WriteHeader(http.StatusOK)
	return nil
}

// passwordReq is Harbor's PasswordReq.
type passwordReq struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// setUserPassword is PUT /users/{user_id}/password: users change their own
// password by giving the current one; system admins reset other users'
// without it. Only local users have a password here.
func (a *API) setUserPassword(w http.ResponseWriter, r *http.Request) error {
	u, self, err := a.userOrSelf(r, access.ActionUserWrite)
	if err != nil {
		return err
	}
	var req passwordReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if u.Source != meta.SourceLocal {
		return newError(http.StatusForbidden, CodeForbidden, "the password of %s users is not managed by Berth", u.Source)
	}
	if self {
		ok, err := password.Verify(u.PasswordHash, req.OldPassword)
		if err != nil || !ok {
			return newError(http.StatusForbidden, CodeForbidden, "old_password is incorrect")
		}
		if req.OldPassword == req.NewPassword {
			return badRequest("new_password must differ from old_password")
		}
	}
	if err := checkPasswordPolicy("new_password", req.NewPassword); err != nil {
		return err
	}
	hash, err := password.Hash(req.NewPassword)
	if err != nil {
		return err
	}
	if err := a.store.SetUserPassword(r.Context(), u.ID, hash); err != nil {
		return storeError(err, "user "+strconv.FormatInt(u.ID, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opUserPassword, ResourceType: "user", Resource: u.Username})
	w.WriteHeader(http.StatusOK)
	return nil
}

// sysadminReq is Harbor's UserSysAdminFlag.
type sysadminReq struct {
	SysadminFlag *bool `json:"sysadmin_flag"`
}

// setUserSysadmin is PUT /users/{user_id}/sysadmin: system admins grant or
// revoke the flag of other users (never their own, so that the last admin
// cannot lock everyone out by mistake).
func (a *API) setUserSysadmin(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionUserWrite, access.Resource{}); err != nil {
		return err
	}
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req sysadminReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.SysadminFlag == nil {
		return badRequest("sysadmin_flag is required")
	}
	if caller(r).UserID == id {
		return newError(http.StatusForbidden, CodeForbidden, "you cannot change your own sysadmin flag")
	}
	u, err := a.store.GetUser(r.Context(), id)
	if err != nil {
		return storeError(err, "user "+strconv.FormatInt(id, 10))
	}
	u.Sysadmin = *req.SysadminFlag
	if _, err := a.store.UpdateUser(r.Context(), u); err != nil {
		return storeError(err, "user "+strconv.FormatInt(id, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opUserSysadmin, ResourceType: "user", Resource: u.Username,
		Detail: map[string]string{"sysadmin_flag": strconv.FormatBool(u.Sysadmin)}})
	w.WriteHeader(http.StatusOK)
	return nil
}

// requireUser returns the caller if it is an active, authenticated user:
// 401 for anonymous callers, 403 for robots and disabled or expired users.
func (a *API) requireUser(r *http.Request) (auth.Caller, error) {
	c := caller(r)
	switch c.Principal.Kind {
	case access.KindUser:
		if !a.activeUser(c.Principal) {
			return auth.Caller{}, newError(http.StatusForbidden, CodeForbidden, "account %s is disabled or expired", c.Principal.Name)
		}
		return c, nil
	case access.KindAnonymous:
		return auth.Caller{}, newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	return auth.Caller{}, newError(http.StatusForbidden, CodeForbidden, "only users may do this, not robot accounts")
}

// activeUser reports whether p is a named user who is neither disabled nor
// expired.
func (a *API) activeUser(p access.Principal) bool {
	return p.Kind == access.KindUser && p.Name != "" && !p.Disabled &&
		(p.ExpiresAt.IsZero() || a.now().Before(p.ExpiresAt))
}
