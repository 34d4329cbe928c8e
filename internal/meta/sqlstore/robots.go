package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/internal/meta"
)

// robotFrom selects robots r with their project's name.
const robotFrom = `SELECT r.id, r.name, r.level, r.project_id, COALESCE(p.name, ''), r.secret_hash, r.description,
		r.disabled, r.expires_at, r.created_by, r.created_at, r.updated_at%s
	FROM robots r LEFT JOIN projects p ON p.id = r.project_id`

func scanRobot(row interface{ Scan(...any) error }) (meta.Robot, error) {
	var (
		r         meta.Robot
		projectID sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.Name, &r.Level, &projectID, &r.ProjectName, &r.SecretHash, &r.Description, &r.Disabled,
		timeScanner{&r.ExpiresAt}, &r.CreatedBy, timeScanner{&r.CreatedAt}, timeScanner{&r.UpdatedAt})
	r.ProjectID = projectID.Int64
	return r, err
}

func validRobot(r meta.Robot) error {
	switch {
	case r.Name == "":
		return invalid("empty robot name")
	case r.Level == meta.RobotSystem && r.ProjectID != 0:
		return invalid("system robot %s with project %d", r.Name, r.ProjectID)
	case r.Level == meta.RobotProject && r.ProjectID == 0:
		return invalid("project robot %s without a project", r.Name)
	case r.Level != meta.RobotSystem && r.Level != meta.RobotProject:
		return invalid("robot %s level %q", r.Name, r.Level)
	}
	for _, p := range r.Permissions {
		if p.Project == "" {
			return invalid("robot %s permission without a project", r.Name)
		}
	}
	return nil
}

// CreateRobot stores r with its permissions in one transaction and returns
// it. meta.ErrConflict if the name is taken or two permissions name the same
// project, meta.ErrNotFound if r.ProjectID names no project, meta.ErrInvalid
// if the record is malformed.
func (s *Store) CreateRobot(ctx context.Context, r meta.Robot) (meta.Robot, error) {
	if err := validRobot(r); err != nil {
		return meta.Robot{}, fmt.Errorf("sqlstore: create robot: %w", err)
	}
	var out meta.Robot
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.d.ts(s.now())
		var projectID any
		if r.ProjectID != 0 {
			projectID = r.ProjectID
		}
		var id int64
		err := tx.QueryRowContext(ctx, s.d.q(`INSERT INTO robots
			(name, level, project_id, secret_hash, description, disabled, expires_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.Name, string(r.Level), projectID, r.SecretHash, r.Description, r.Disabled, s.d.nullTS(r.ExpiresAt),
			r.CreatedBy, now, now).Scan(&id)
		if err != nil {
			return insertErr(err)
		}
		out, err = s.putRobotPermissions(ctx, tx, id, r.Permissions)
		return err
	})
	if err != nil {
		return meta.Robot{}, fmt.Errorf("sqlstore: create robot %s: %w", r.Name, err)
	}
	return out, nil
}

// putRobotPermissions replaces the permissions of robot id with perms and
// returns the robot as stored.
func (s *Store) putRobotPermissions(ctx context.Context, tx *sql.Tx, id int64, perms []meta.RobotPermission) (meta.Robot, error) {
	if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM robot_permissions WHERE robot_id = ?`), id); err != nil {
		return meta.Robot{}, fmt.Errorf("clear permissions: %w", err)
	}
	for start := 0; start < len(perms); start += batch / 3 {
		part := perms[start:min(start+batch/3, len(perms))]
		values := make([]string, 0, len(part))
		args := make([]any, 0, 3*len(part))
		for _, p := range part {
			actions, err := json.Marshal(p.Actions)
			if err != nil {
				return meta.Robot{}, fmt.Errorf("encode actions: %w", err)
			}
			values = append(values, "(?, ?, ?)")
			args = append(args, id, p.Project, string(actions))
		}
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO robot_permissions (robot_id, project, actions) VALUES `+
			strings.Join(values, ", ")), args...)
		if err != nil {
			return meta.Robot{}, fmt.Errorf("insert permissions: %w", insertErr(err))
		}
	}
	return s.getRobot(ctx, tx, `r.id = ?`, id)
}

// robotPermissions loads the permissions of robots ids, by robot then
// project.
func (s *Store) robotPermissions(ctx context.Context, q execer, ids []int64) (map[int64][]meta.RobotPermission, error) {
	out := make(map[int64][]meta.RobotPermission, len(ids))
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, s.d.q(`SELECT robot_id, project, actions FROM robot_permissions
			WHERE robot_id IN (`+placeholders(len(part))+`) ORDER BY robot_id, project`), args...)
		if err != nil {
			return nil, fmt.Errorf("load permissions: %w", err)
		}
		for rows.Next() {
			var (
				id      int64
				p       meta.RobotPermission
				actions string
			)
			if err := rows.Scan(&id, &p.Project, &actions); err != nil {
				rows.Close()
				return nil, fmt.Errorf("load permissions: %w", err)
			}
			if err := json.Unmarshal([]byte(actions), &p.Actions); err != nil {
				rows.Close()
				return nil, fmt.Errorf("decode actions of robot %d: %w", id, err)
			}
			out[id] = append(out[id], p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("load permissions: %w", err)
		}
	}
	return out, nil
}

// getRobot reads one robot with its permissions by the condition cond on q,
// in one statement (one snapshot, one round trip: it is on the login path).
func (s *Store) getRobot(ctx context.Context, q execer, cond string, arg any) (meta.Robot, error) {
	rows, err := q.QueryContext(ctx, s.d.q(fmt.Sprintf(robotFrom, `, rp.project, rp.actions`)+`
		LEFT JOIN robot_permissions rp ON rp.robot_id = r.id
		WHERE `+cond+` ORDER BY rp.project`), arg)
	if err != nil {
		return meta.Robot{}, err
	}
	defer rows.Close()
	var (
		r     meta.Robot
		found bool
	)
	for rows.Next() {
		var project, actions sql.NullString
		row, err := scanRobot(scanWith{rows, []any{&project, &actions}})
		if err != nil {
			return meta.Robot{}, err
		}
		if !found {
			r, found = row, true
		}
		if project.Valid {
			p := meta.RobotPermission{Project: project.String}
			if err := json.Unmarshal([]byte(actions.String), &p.Actions); err != nil {
				return meta.Robot{}, fmt.Errorf("decode actions of robot %d: %w", r.ID, err)
			}
			r.Permissions = append(r.Permissions, p)
		}
	}
	if err := rows.Err(); err != nil {
		return meta.Robot{}, err
	}
	if !found {
		return meta.Robot{}, fmt.Errorf("robot: %w", meta.ErrNotFound)
	}
	return r, nil
}

// scanWith scans a row into the destinations of a record scanner followed
// by extra ones.
type scanWith struct {
	row   interface{ Scan(...any) error }
	extra []any
}

// Scan implements the row scanner interface.
func (sw scanWith) Scan(dest ...any) error { return sw.row.Scan(append(dest, sw.extra...)...) }

// GetRobot returns robot id with its permissions, or meta.ErrNotFound.
func (s *Store) GetRobot(ctx context.Context, id int64) (meta.Robot, error) {
	r, err := s.getRobot(ctx, s.r, `r.id = ?`, id)
	if err != nil {
		return meta.Robot{}, fmt.Errorf("sqlstore: get robot %d: %w", id, err)
	}
	return r, nil
}

// GetRobotByName returns the robot called name with its permissions, or
// meta.ErrNotFound.
func (s *Store) GetRobotByName(ctx context.Context, name string) (meta.Robot, error) {
	r, err := s.getRobot(ctx, s.r, `r.name = ?`, name)
	if err != nil {
		return meta.Robot{}, fmt.Errorf("sqlstore: get robot %s: %w", name, err)
	}
	return r, nil
}

// UpdateRobot saves Description, Disabled, ExpiresAt and Permissions of
// robot r.ID in one transaction. meta.ErrNotFound if there is no such
// robot, meta.ErrConflict for a repeated permission project.
func (s *Store) UpdateRobot(ctx context.Context, r meta.Robot) (meta.Robot, error) {
	for _, p := range r.Permissions {
		if p.Project == "" {
			return meta.Robot{}, fmt.Errorf("sqlstore: update robot %d: %w", r.ID, invalid("permission without a project"))
		}
	}
	var out meta.Robot
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.d.q(`UPDATE robots
			SET description = ?, disabled = ?, expires_at = ?, updated_at = ? WHERE id = ? RETURNING id`),
			r.Description, r.Disabled, s.d.nullTS(r.ExpiresAt), s.d.ts(s.now()), r.ID).Scan(&id)
		if err != nil {
			return noRows(err, "robot")
		}
		out, err = s.putRobotPermissions(ctx, tx, id, r.Permissions)
		return err
	})
	if err != nil {
		return meta.Robot{}, fmt.Errorf("sqlstore: update robot %d: %w", r.ID, err)
	}
	return out, nil
}

// SetRobotSecret replaces the secret hash of robot id. meta.ErrNotFound if
// there is no such robot.
func (s *Store) SetRobotSecret(ctx context.Context, id int64, hash string) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE robots SET secret_hash = ?, updated_at = ? WHERE id = ?`),
		hash, s.d.ts(s.now()), id)
	if err == nil {
		err = affected(res, "robot")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: set secret of robot %d: %w", id, err)
	}
	return nil
}

// DeleteRobot deletes robot id; its permissions go by ON DELETE CASCADE.
// meta.ErrNotFound if there is no such robot.
func (s *Store) DeleteRobot(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM robots WHERE id = ?`), id)
	if err == nil {
		err = affected(res, "robot")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: delete robot %d: %w", id, err)
	}
	return nil
}

func (s *Store) robotWhere(f meta.RobotFilter) *where {
	w := &where{}
	if f.Level != "" {
		w.add(`r.level = ?`, string(f.Level))
	}
	if f.ProjectID != 0 {
		w.add(`r.project_id = ?`, f.ProjectID)
	}
	if f.ProjectIDs != nil {
		args := make([]any, len(f.ProjectIDs))
		for i, id := range f.ProjectIDs {
			args[i] = id
		}
		w.add(inList("r.project_id", len(args)), args...)
	}
	if f.NameContains != "" {
		w.add(s.d.contains("r.name"), f.NameContains)
	}
	return w
}

// ListRobots lists the robots matching f, with their permissions, in name
// order.
func (s *Store) ListRobots(ctx context.Context, f meta.RobotFilter, win meta.Window) ([]meta.Robot, error) {
	w := s.robotWhere(f)
	lim, args := s.d.window(win, w.args)
	rows, err := s.r.QueryContext(ctx, s.d.q(fmt.Sprintf(robotFrom, "")+w.String()+` ORDER BY r.name`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list robots: %w", err)
	}
	var (
		out []meta.Robot
		ids []int64
	)
	for rows.Next() {
		r, err := scanRobot(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlstore: list robots: %w", err)
		}
		out = append(out, r)
		ids = append(ids, r.ID)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list robots: %w", err)
	}
	perms, err := s.robotPermissions(ctx, s.r, ids)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list robots: %w", err)
	}
	for i := range out {
		out[i].Permissions = perms[out[i].ID]
	}
	return out, nil
}

// CountRobots counts the robots matching f.
func (s *Store) CountRobots(ctx context.Context, f meta.RobotFilter) (int64, error) {
	w := s.robotWhere(f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM robots r`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count robots: %w", err)
	}
	return n, nil
}
