package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/internal/meta"
)

const projectCols = `p.id, p.name, p.public, p.quota_bytes, p.metadata, p.created_at, p.updated_at`

// projectReturning lists the columns an INSERT or UPDATE returns; the
// table is aliased p in none of them, so the prefix is stripped.
var projectReturning = strings.ReplaceAll(projectCols, "p.", "")

func scanProject(row interface{ Scan(...any) error }) (meta.Project, error) {
	var (
		p     meta.Project
		quota sql.NullInt64
		md    sql.NullString
	)
	err := row.Scan(&p.ID, &p.Name, &p.Public, &quota, &md, timeScanner{&p.CreatedAt}, timeScanner{&p.UpdatedAt})
	if err != nil {
		return meta.Project{}, err
	}
	if quota.Valid {
		p.QuotaBytes = &quota.Int64
	}
	if p.Metadata, err = decodeAnnotations(md); err != nil {
		return meta.Project{}, err
	}
	return p, nil
}

func validProjectName(name string) error {
	if name == "" || strings.ContainsRune(name, '/') {
		return invalid("project name %q", name)
	}
	return nil
}

// CreateProject stores p and returns it. meta.ErrConflict if the name is
// taken, meta.ErrInvalid if it is empty or contains '/'.
func (s *Store) CreateProject(ctx context.Context, p meta.Project) (meta.Project, error) {
	if err := validProjectName(p.Name); err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: create project: %w", err)
	}
	md, err := encodeMap(p.Metadata)
	if err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: create project %s: encode metadata: %w", p.Name, err)
	}
	now := s.d.ts(s.now())
	out, err := scanProject(s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO projects
		(name, public, quota_bytes, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		RETURNING `+projectReturning), p.Name, p.Public, nullInt64(p.QuotaBytes), md, now, now))
	if err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: create project %s: %w", p.Name, insertErr(err))
	}
	return out, nil
}

// EnsureProject creates project name unless it exists and returns it. It is
// one INSERT ... ON CONFLICT DO NOTHING, so concurrent callers (replicas
// starting together) all succeed and exactly one reports created.
func (s *Store) EnsureProject(ctx context.Context, name string, public bool) (meta.Project, bool, error) {
	if err := validProjectName(name); err != nil {
		return meta.Project{}, false, fmt.Errorf("sqlstore: ensure project: %w", err)
	}
	now := s.d.ts(s.now())
	p, err := scanProject(s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO projects (name, public, created_at, updated_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING `+projectReturning), name, public, now, now))
	if err == nil {
		return p, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return meta.Project{}, false, fmt.Errorf("sqlstore: ensure project %s: %w", name, err)
	}
	// It exists: read it on the writer, which has seen the conflicting row.
	p, err = scanProject(s.w.QueryRowContext(ctx, s.d.q(`SELECT `+projectCols+` FROM projects p WHERE p.name = ?`), name))
	if err != nil {
		return meta.Project{}, false, fmt.Errorf("sqlstore: ensure project %s: %w", name, noRows(err, "project "+name))
	}
	return p, false, nil
}

// GetProject returns project id, or meta.ErrNotFound.
func (s *Store) GetProject(ctx context.Context, id int64) (meta.Project, error) {
	p, err := scanProject(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+projectCols+` FROM projects p WHERE p.id = ?`), id))
	if err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: get project %d: %w", id, noRows(err, "project"))
	}
	return p, nil
}

// GetProjectByName returns the project called name, or meta.ErrNotFound.
func (s *Store) GetProjectByName(ctx context.Context, name string) (meta.Project, error) {
	p, err := scanProject(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+projectCols+` FROM projects p WHERE p.name = ?`), name))
	if err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: get project %s: %w", name, noRows(err, "project"))
	}
	return p, nil
}

// UpdateProject saves Public, QuotaBytes and Metadata of project p.ID.
// meta.ErrNotFound if there is no such project.
func (s *Store) UpdateProject(ctx context.Context, p meta.Project) (meta.Project, error) {
	md, err := encodeMap(p.Metadata)
	if err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: update project %d: encode metadata: %w", p.ID, err)
	}
	out, err := scanProject(s.w.QueryRowContext(ctx, s.d.q(`UPDATE projects
		SET public = ?, quota_bytes = ?, metadata = ?, updated_at = ? WHERE id = ?
		RETURNING `+projectReturning), p.Public, nullInt64(p.QuotaBytes), md, s.d.ts(s.now()), p.ID))
	if err != nil {
		return meta.Project{}, fmt.Errorf("sqlstore: update project %d: %w", p.ID, noRows(err, "project"))
	}
	return out, nil
}

// DeleteProject deletes project id in one transaction: it locks the
// project's repository rows (PostgreSQL), refuses with meta.ErrConflict if
// any holds a manifest, then deletes the repositories and their blob links,
// the robot permissions naming the project, and the project (its members
// and project robots go by ON DELETE CASCADE). A manifest committed
// concurrently into a locked repository either is seen by the check or
// makes the DELETE fail its foreign key, reported as meta.ErrConflict too.
func (s *Store) DeleteProject(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT name FROM projects WHERE id = ?`+s.d.forUpdate()), id).Scan(&name)
		if err != nil {
			return noRows(err, "project")
		}
		if s.d == dialectPostgres {
			if _, err := tx.ExecContext(ctx, `SELECT id FROM repositories WHERE project = $1 ORDER BY id FOR UPDATE`, name); err != nil {
				return fmt.Errorf("lock repositories: %w", err)
			}
		}
		var busy bool
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT EXISTS (SELECT 1 FROM repositories r
			JOIN manifests m ON m.repository_id = r.id WHERE r.project = ?)`), name).Scan(&busy)
		if err != nil {
			return fmt.Errorf("check repositories: %w", err)
		}
		if busy {
			return fmt.Errorf("project %s still has repositories with artifacts: %w", name, meta.ErrConflict)
		}
		for _, q := range []string{
			`DELETE FROM repository_blobs WHERE repository_id IN (SELECT id FROM repositories WHERE project = ?)`,
			`DELETE FROM repositories WHERE project = ?`,
			`DELETE FROM robot_permissions WHERE project = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.d.q(q), name); err != nil {
				if isFKViolation(err) {
					return fmt.Errorf("project %s changed while being deleted: %w: %w", name, meta.ErrConflict, err)
				}
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.d.q(`DELETE FROM projects WHERE id = ?`), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: delete project %d: %w", id, err)
	}
	return nil
}

// projectWhere builds the conditions of f over projects p.
func (s *Store) projectWhere(f meta.ProjectFilter) *where {
	w := &where{}
	if f.Name != "" {
		w.add(`p.name = ?`, f.Name)
	}
	if f.NameContains != "" {
		w.add(s.d.contains("p.name"), f.NameContains)
	}
	if f.Public != nil {
		w.add(`p.public = ?`, *f.Public)
	}
	if f.UserID != 0 {
		member := `EXISTS (SELECT 1 FROM project_members pm WHERE pm.project_id = p.id AND pm.user_id = ?)`
		if f.IncludePublic {
			member = `(p.public OR ` + member + `)`
		}
		w.add(member, f.UserID)
	}
	if f.Names != nil {
		w.add(inList("p.name", len(f.Names)), stringArgs(f.Names)...)
	}
	if sc := f.Scope; sc != nil && !sc.All {
		switch {
		case sc.Public && len(sc.Names) > 0:
			w.add(`(p.public OR `+inList("p.name", len(sc.Names))+`)`, stringArgs(sc.Names)...)
		case sc.Public:
			w.add(`p.public`)
		default:
			w.add(inList("p.name", len(sc.Names)), stringArgs(sc.Names)...)
		}
	}
	return w
}

// ListProjects lists the projects matching f in name (byte) order.
func (s *Store) ListProjects(ctx context.Context, f meta.ProjectFilter, win meta.Window) ([]meta.Project, error) {
	w := s.projectWhere(f)
	lim, args := s.d.window(win, w.args)
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT `+projectCols+` FROM projects p`+w.String()+` ORDER BY p.name`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list projects: %w", err)
	}
	defer rows.Close()
	var out []meta.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list projects: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list projects: %w", err)
	}
	return out, nil
}

// CountProjects counts the projects matching f.
func (s *Store) CountProjects(ctx context.Context, f meta.ProjectFilter) (int64, error) {
	w := s.projectWhere(f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM projects p`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count projects: %w", err)
	}
	return n, nil
}
