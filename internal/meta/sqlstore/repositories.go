package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

var _ meta.Repositories = (*Store)(nil)

// rootCond is true for a top-level artifact: manifest alias is tagged, or
// is neither a child of an index nor a referrer of a manifest in the same
// repository (a tagged child, such as one platform's image pushed by tag
// before its index, stays listed so its tags are never hidden). The
// lookups are index probes (tags_manifest; manifest_children_child then
// the manifests primary key; the manifests (repository_id, digest) key):
// the scalar subquery keeps planners from walking the repository's
// manifests.
func rootCond(alias string) string {
	return `(EXISTS (SELECT 1 FROM tags rt WHERE rt.manifest_id = ` + alias + `.id)
		OR (NOT EXISTS (SELECT 1 FROM manifest_children rc WHERE rc.child_digest = ` + alias + `.digest
			AND (SELECT rp.repository_id FROM manifests rp WHERE rp.id = rc.manifest_id) = ` + alias + `.repository_id)
		AND (` + alias + `.subject_digest IS NULL OR NOT EXISTS (SELECT 1 FROM manifests rs
			WHERE rs.repository_id = ` + alias + `.repository_id AND rs.digest = ` + alias + `.subject_digest))))`
}

// hasManifest is true for a repository r holding at least one manifest.
const hasManifest = `EXISTS (SELECT 1 FROM manifests hm WHERE hm.repository_id = r.id)`

// repoCols are the columns of a repository record; the totals are
// correlated subqueries, evaluated only for the rows of the page when the
// order is by name.
var repoCols = `r.id, r.name, r.project, r.description, r.created_at,
	(SELECT COUNT(*) FROM manifests m WHERE m.repository_id = r.id AND ` + rootCond("m") + `) AS artifacts,
	(SELECT CAST(COALESCE(SUM(a.pull_count), 0) AS BIGINT) FROM artifact_stats a WHERE a.repository_id = r.id) AS pulls,
	COALESCE((SELECT MAX(m.created_at) FROM manifests m WHERE m.repository_id = r.id), r.created_at) AS upd`

func scanRepository(row interface{ Scan(...any) error }) (meta.Repository, error) {
	var r meta.Repository
	err := row.Scan(&r.ID, &r.Name, &r.Project, &r.Description, timeScanner{&r.CreatedAt},
		&r.ArtifactCount, &r.PullCount, timeScanner{&r.UpdatedAt})
	return r, err
}

// scopeCond adds the condition of a project scope over repositories r.
func scopeCond(w *where, sc *meta.ProjectScope) {
	if sc == nil || sc.All {
		return
	}
	public := `EXISTS (SELECT 1 FROM projects sp WHERE sp.name = r.project AND sp.public)`
	switch {
	case sc.Public && len(sc.Names) > 0:
		w.add(`(`+public+` OR `+inList("r.project", len(sc.Names))+`)`, stringArgs(sc.Names)...)
	case sc.Public:
		w.add(public)
	default:
		w.add(inList("r.project", len(sc.Names)), stringArgs(sc.Names)...)
	}
}

// repositoryWhere builds the conditions of f over repositories r.
func (s *Store) repositoryWhere(f meta.RepositoryFilter) *where {
	w := &where{}
	w.add(hasManifest)
	if f.Project != "" {
		w.add(`r.project = ?`, f.Project)
	}
	scopeCond(w, f.Scope)
	if f.Name != "" {
		w.add(`r.name = ?`, f.Name)
	}
	if f.NameContains != "" {
		w.add(s.d.contains("r.name"), f.NameContains)
	}
	return w
}

// repositoryOrder returns the ORDER BY clause of a repository sort.
func repositoryOrder(o meta.RepositorySort) (string, error) {
	switch o {
	case "", meta.SortByName:
		return ` ORDER BY r.name`, nil
	case meta.SortByNameDesc:
		return ` ORDER BY r.name DESC`, nil
	case meta.SortByCreationTime:
		return ` ORDER BY r.created_at, r.name`, nil
	case meta.SortByCreationDesc:
		return ` ORDER BY r.created_at DESC, r.name`, nil
	case meta.SortByUpdateTime:
		return ` ORDER BY upd, r.name`, nil
	case meta.SortByUpdateDesc:
		return ` ORDER BY upd DESC, r.name`, nil
	case meta.SortByPullCountDesc:
		return ` ORDER BY pulls DESC, r.name`, nil
	}
	return "", invalid("repository sort %q", o)
}

// totalsOrder reports whether o sorts by a computed total.
func totalsOrder(o meta.RepositorySort) bool {
	return o == meta.SortByUpdateTime || o == meta.SortByUpdateDesc || o == meta.SortByPullCountDesc
}

// ListRepositoryRecords lists the repositories matching f with their
// totals, in one query.
func (s *Store) ListRepositoryRecords(ctx context.Context, f meta.RepositoryFilter, win meta.Window) ([]meta.Repository, error) {
	order, err := repositoryOrder(f.Sort)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list repositories: %w", err)
	}
	w := s.repositoryWhere(f)
	lim, args := s.d.window(win, w.args)
	query := `SELECT ` + repoCols + ` FROM repositories r` + w.String() + order + lim
	if !totalsOrder(f.Sort) {
		// Page over the index first; the totals are computed for the page only.
		query = `SELECT ` + repoCols + ` FROM repositories r WHERE r.id IN (SELECT r.id FROM repositories r` +
			w.String() + order + lim + `)` + order
	}
	rows, err := s.r.QueryContext(ctx, s.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list repositories: %w", err)
	}
	defer rows.Close()
	var out []meta.Repository
	for rows.Next() {
		r, err := scanRepository(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list repositories: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list repositories: %w", err)
	}
	return out, nil
}

// CountRepositoryRecords counts the repositories matching f.
func (s *Store) CountRepositoryRecords(ctx context.Context, f meta.RepositoryFilter) (int64, error) {
	w := s.repositoryWhere(f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM repositories r`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count repositories: %w", err)
	}
	return n, nil
}

// GetRepositoryRecord returns repository name with its totals, or
// meta.ErrNotFound.
func (s *Store) GetRepositoryRecord(ctx context.Context, name string) (meta.Repository, error) {
	r, err := scanRepository(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+repoCols+` FROM repositories r WHERE r.name = ?`), name))
	if err != nil {
		return meta.Repository{}, fmt.Errorf("sqlstore: get repository %s: %w", name, noRows(err, "repository"))
	}
	return r, nil
}

// SetRepositoryDescription changes the description of repository name.
func (s *Store) SetRepositoryDescription(ctx context.Context, name, description string) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE repositories SET description = ? WHERE name = ?`), description, name)
	if err == nil {
		err = affected(res, "repository")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: describe repository %s: %w", name, err)
	}
	return nil
}

// DeleteRepository deletes repository name and everything recorded in it
// but the blobs (its tag history too), in one transaction; it is refused
// with *meta.ImmutableTagError if an immutability rule protects one of its
// tags. On PostgreSQL the repository row is
// locked first, so a concurrent push into it waits, then fails its foreign
// key (the client retries and recreates the repository).
func (s *Store) DeleteRepository(ctx context.Context, name string) ([]digest.Digest, error) {
	var deleted []digest.Digest
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		deleted = deleted[:0]
		var id int64
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT id FROM repositories WHERE name = ?`+s.d.forUpdate()), name).Scan(&id)
		if err != nil {
			return noRows(err, "repository")
		}
		if err := s.checkRepoMutable(ctx, tx, name, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.d.q(`SELECT digest FROM manifests WHERE repository_id = ? ORDER BY digest`), id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d digest.Digest
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			deleted = append(deleted, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM tags WHERE repository_id = ?`,
			`DELETE FROM manifests WHERE repository_id = ?`, // edges and statistics cascade
			`DELETE FROM repository_blobs WHERE repository_id = ?`,
			`DELETE FROM repositories WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.d.q(q), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: delete repository %s: %w", name, err)
	}
	return deleted, nil
}

// RepositoryCounts counts the repositories holding a manifest of each named
// project, in one grouped query per batch of names.
func (s *Store) RepositoryCounts(ctx context.Context, projects []string) (map[string]int64, error) {
	out := make(map[string]int64, len(projects))
	for start := 0; start < len(projects); start += batch {
		part := projects[start:min(start+batch, len(projects))]
		rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT r.project, COUNT(*) FROM repositories r
			WHERE `+inList("r.project", len(part))+` AND `+hasManifest+` GROUP BY r.project`), stringArgs(part)...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: count repositories of projects: %w", err)
		}
		for rows.Next() {
			var p string
			var n int64
			if err := rows.Scan(&p, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlstore: count repositories of projects: %w", err)
			}
			out[p] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlstore: count repositories of projects: %w", err)
		}
	}
	return out, nil
}

// ProjectUsage returns the repository count and storage of project name.
func (s *Store) ProjectUsage(ctx context.Context, name string) (meta.ProjectUsage, error) {
	var (
		u         meta.ProjectUsage
		manifests int64
	)
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT
		(SELECT COUNT(*) FROM repositories r WHERE r.project = ? AND `+hasManifest+`),
		(SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blobs b WHERE b.digest IN
			(SELECT rb.digest FROM repositories r JOIN repository_blobs rb ON rb.repository_id = r.id WHERE r.project = ?)),
		(SELECT CAST(COALESCE(SUM(m.size), 0) AS BIGINT) FROM repositories r JOIN manifests m ON m.repository_id = r.id
			WHERE r.project = ?)`), name, name, name).Scan(&u.RepoCount, &u.StorageBytes, &manifests)
	if err != nil {
		return meta.ProjectUsage{}, fmt.Errorf("sqlstore: usage of project %s: %w", name, err)
	}
	u.StorageBytes += manifests
	return u, nil
}

// checkRepoMutable returns an *meta.ImmutableTagError if an immutability
// rule protects one of the tags of repository id (named name).
func (s *Store) checkRepoMutable(ctx context.Context, tx *sql.Tx, name string, id int64) error {
	rows, err := tx.QueryContext(ctx, s.d.q(`SELECT name FROM tags WHERE repository_id = ? ORDER BY name`), id)
	if err != nil {
		return fmt.Errorf("tags of repository: %w", err)
	}
	var tags []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("tags of repository: %w", err)
		}
		tags = append(tags, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("tags of repository: %w", err)
	}
	return s.checkMutable(ctx, tx, name, tags...)
}
