package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/berth-oci/berth/internal/meta"
)

// memberFrom joins a membership with the names it shows. Users are
// left-joined so that group memberships (later) list too.
const memberFrom = `SELECT pm.id, pm.project_id, p.name, pm.member_kind, pm.user_id, COALESCE(u.username, ''),
		pm.role, pm.created_at, pm.updated_at
	FROM project_members pm
	JOIN projects p ON p.id = pm.project_id
	LEFT JOIN users u ON u.id = pm.user_id`

func scanMember(row interface{ Scan(...any) error }) (meta.Member, error) {
	var (
		m      meta.Member
		userID sql.NullInt64
	)
	err := row.Scan(&m.ID, &m.ProjectID, &m.ProjectName, &m.Kind, &userID, &m.EntityName, &m.Role,
		timeScanner{&m.CreatedAt}, timeScanner{&m.UpdatedAt})
	m.UserID = userID.Int64
	return m, err
}

// AddMember stores membership m and returns it with the names filled.
// meta.ErrConflict if the user is already a member, meta.ErrNotFound if the
// project or user does not exist (a foreign key failure), meta.ErrInvalid
// for an unknown role or a kind other than meta.MemberUser.
func (s *Store) AddMember(ctx context.Context, m meta.Member) (meta.Member, error) {
	if m.Kind == "" {
		m.Kind = meta.MemberUser
	}
	if m.Kind != meta.MemberUser || !m.Role.Valid() {
		return meta.Member{}, fmt.Errorf("sqlstore: add member: %w", invalid("kind %q, role %q", m.Kind, m.Role))
	}
	now := s.d.ts(s.now())
	var id int64
	err := s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO project_members (project_id, member_kind, user_id, role, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), m.ProjectID, string(m.Kind), m.UserID, string(m.Role), now, now).Scan(&id)
	if err != nil {
		return meta.Member{}, fmt.Errorf("sqlstore: add user %d to project %d: %w", m.UserID, m.ProjectID, insertErr(err))
	}
	out, err := scanMember(s.w.QueryRowContext(ctx, s.d.q(memberFrom+` WHERE pm.id = ?`), id))
	if err != nil {
		return meta.Member{}, fmt.Errorf("sqlstore: add user %d to project %d: %w", m.UserID, m.ProjectID, noRows(err, "member"))
	}
	return out, nil
}

// GetMember returns membership id of project projectID, or
// meta.ErrNotFound.
func (s *Store) GetMember(ctx context.Context, projectID, id int64) (meta.Member, error) {
	m, err := scanMember(s.r.QueryRowContext(ctx, s.d.q(memberFrom+` WHERE pm.id = ? AND pm.project_id = ?`), id, projectID))
	if err != nil {
		return meta.Member{}, fmt.Errorf("sqlstore: get member %d of project %d: %w", id, projectID, noRows(err, "member"))
	}
	return m, nil
}

// MemberRole returns the role of user userID in project projectID, or
// meta.ErrNotFound: one lookup on the (project_id, user_id) unique index.
func (s *Store) MemberRole(ctx context.Context, projectID, userID int64) (meta.Role, error) {
	var r meta.Role
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT role FROM project_members WHERE project_id = ? AND user_id = ?`),
		projectID, userID).Scan(&r)
	if err != nil {
		return "", fmt.Errorf("sqlstore: role of user %d in project %d: %w", userID, projectID, noRows(err, "member"))
	}
	return r, nil
}

// UpdateMemberRole changes the role of membership id of project projectID.
// meta.ErrNotFound if there is no such membership, meta.ErrInvalid for an
// unknown role.
func (s *Store) UpdateMemberRole(ctx context.Context, projectID, id int64, role meta.Role) error {
	if !role.Valid() {
		return fmt.Errorf("sqlstore: update member %d: %w", id, invalid("role %q", role))
	}
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE project_members SET role = ?, updated_at = ? WHERE id = ? AND project_id = ?`),
		string(role), s.d.ts(s.now()), id, projectID)
	if err == nil {
		err = affected(res, "member")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: update member %d of project %d: %w", id, projectID, err)
	}
	return nil
}

// RemoveMember deletes membership id of project projectID.
// meta.ErrNotFound if there is no such membership.
func (s *Store) RemoveMember(ctx context.Context, projectID, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM project_members WHERE id = ? AND project_id = ?`), id, projectID)
	if err == nil {
		err = affected(res, "member")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: remove member %d of project %d: %w", id, projectID, err)
	}
	return nil
}

func (s *Store) memberWhere(projectID int64, f meta.MemberFilter) *where {
	w := &where{}
	w.add(`pm.project_id = ?`, projectID)
	if f.EntityNameContains != "" {
		w.add(s.d.contains("u.username"), f.EntityNameContains)
	}
	if f.Role != "" {
		w.add(`pm.role = ?`, string(f.Role))
	}
	return w
}

// ListMembers lists the members of project projectID matching f, by entity
// name.
func (s *Store) ListMembers(ctx context.Context, projectID int64, f meta.MemberFilter, win meta.Window) ([]meta.Member, error) {
	w := s.memberWhere(projectID, f)
	lim, args := s.d.window(win, w.args)
	out, err := s.members(ctx, memberFrom+w.String()+` ORDER BY COALESCE(u.username, ''), pm.id`+lim, args)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list members of project %d: %w", projectID, err)
	}
	return out, nil
}

// CountMembers counts the members of project projectID matching f.
func (s *Store) CountMembers(ctx context.Context, projectID int64, f meta.MemberFilter) (int64, error) {
	w := s.memberWhere(projectID, f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM project_members pm LEFT JOIN users u ON u.id = pm.user_id`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count members of project %d: %w", projectID, err)
	}
	return n, nil
}

// UserMemberships lists every membership of user userID, by project name.
func (s *Store) UserMemberships(ctx context.Context, userID int64) ([]meta.Member, error) {
	out, err := s.members(ctx, memberFrom+` WHERE pm.user_id = ? ORDER BY p.name`, []any{userID})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: memberships of user %d: %w", userID, err)
	}
	return out, nil
}

// members runs a memberFrom query.
func (s *Store) members(ctx context.Context, query string, args []any) ([]meta.Member, error) {
	rows, err := s.r.QueryContext(ctx, s.d.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
