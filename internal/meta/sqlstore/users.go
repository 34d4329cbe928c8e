package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

const userCols = `u.id, u.username, u.email, u.realname, u.comment, u.password_hash, u.sysadmin, u.disabled,
	u.source, u.created_at, u.updated_at, u.last_login_at`

var userReturning = strings.ReplaceAll(userCols, "u.", "")

func scanUser(row interface{ Scan(...any) error }) (meta.User, error) {
	var u meta.User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.Realname, &u.Comment, &u.PasswordHash, &u.Sysadmin, &u.Disabled,
		&u.Source, timeScanner{&u.CreatedAt}, timeScanner{&u.UpdatedAt}, timeScanner{&u.LastLoginAt})
	return u, err
}

// CreateUser stores u and returns it. meta.ErrConflict if the username is
// taken; meta.ErrInvalid if it is empty or the source is unknown.
func (s *Store) CreateUser(ctx context.Context, u meta.User) (meta.User, error) {
	if u.Source == "" {
		u.Source = meta.SourceLocal
	}
	if u.Username == "" || !u.Source.Valid() {
		return meta.User{}, fmt.Errorf("sqlstore: create user: %w", invalid("username %q, source %q", u.Username, u.Source))
	}
	now := s.d.ts(s.now())
	out, err := scanUser(s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO users
		(username, email, realname, comment, password_hash, sysadmin, disabled, source, created_at, updated_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+userReturning),
		u.Username, u.Email, u.Realname, u.Comment, u.PasswordHash, u.Sysadmin, u.Disabled, string(u.Source),
		now, now, s.d.nullTS(u.LastLoginAt)))
	if err != nil {
		return meta.User{}, fmt.Errorf("sqlstore: create user %s: %w", u.Username, insertErr(err))
	}
	return out, nil
}

// GetUser returns user id, or meta.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id int64) (meta.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+userCols+` FROM users u WHERE u.id = ?`), id))
	if err != nil {
		return meta.User{}, fmt.Errorf("sqlstore: get user %d: %w", id, noRows(err, "user"))
	}
	return u, nil
}

// GetUserByName returns the user called username, or meta.ErrNotFound.
func (s *Store) GetUserByName(ctx context.Context, username string) (meta.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+userCols+` FROM users u WHERE u.username = ?`), username))
	if err != nil {
		return meta.User{}, fmt.Errorf("sqlstore: get user %s: %w", username, noRows(err, "user"))
	}
	return u, nil
}

// UpdateUser saves Email, Realname, Comment, Sysadmin and Disabled of user
// u.ID. meta.ErrNotFound if there is no such user.
func (s *Store) UpdateUser(ctx context.Context, u meta.User) (meta.User, error) {
	out, err := scanUser(s.w.QueryRowContext(ctx, s.d.q(`UPDATE users
		SET email = ?, realname = ?, comment = ?, sysadmin = ?, disabled = ?, updated_at = ? WHERE id = ?
		RETURNING `+userReturning), u.Email, u.Realname, u.Comment, u.Sysadmin, u.Disabled, s.d.ts(s.now()), u.ID))
	if err != nil {
		return meta.User{}, fmt.Errorf("sqlstore: update user %d: %w", u.ID, noRows(err, "user"))
	}
	return out, nil
}

// SetUserPassword replaces the password hash of user id. meta.ErrNotFound
// if there is no such user.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`),
		hash, s.d.ts(s.now()), id)
	if err == nil {
		err = affected(res, "user")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: set password of user %d: %w", id, err)
	}
	return nil
}

// RecordLogin sets the last login time of user id. meta.ErrNotFound if
// there is no such user.
func (s *Store) RecordLogin(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE users SET last_login_at = ? WHERE id = ?`), s.d.ts(at), id)
	if err == nil {
		err = affected(res, "user")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: record login of user %d: %w", id, err)
	}
	return nil
}

// DeleteUser deletes user id; memberships and access tokens go by ON
// DELETE CASCADE. meta.ErrNotFound if there is no such user.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM users WHERE id = ?`), id)
	if err == nil {
		err = affected(res, "user")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: delete user %d: %w", id, err)
	}
	return nil
}

func (s *Store) userWhere(f meta.UserFilter) *where {
	w := &where{}
	if f.Username != "" {
		w.add(`u.username = ?`, f.Username)
	}
	if f.UsernameContains != "" {
		w.add(s.d.contains("u.username"), f.UsernameContains)
	}
	if f.Email != "" {
		w.add(`u.email = ?`, f.Email)
	}
	if f.Source != "" {
		w.add(`u.source = ?`, string(f.Source))
	}
	if f.Sysadmin != nil {
		w.add(`u.sysadmin = ?`, *f.Sysadmin)
	}
	return w
}

// ListUsers lists the users matching f in username (byte) order.
func (s *Store) ListUsers(ctx context.Context, f meta.UserFilter, win meta.Window) ([]meta.User, error) {
	w := s.userWhere(f)
	lim, args := s.d.window(win, w.args)
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT `+userCols+` FROM users u`+w.String()+` ORDER BY u.username`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list users: %w", err)
	}
	defer rows.Close()
	var out []meta.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list users: %w", err)
	}
	return out, nil
}

// CountUsers counts the users matching f.
func (s *Store) CountUsers(ctx context.Context, f meta.UserFilter) (int64, error) {
	w := s.userWhere(f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM users u`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count users: %w", err)
	}
	return n, nil
}
