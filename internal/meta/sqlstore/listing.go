package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// Listings walk an index in order from the page's Last.
const (
	qListTags         = `SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name`
	qListRepositories = `SELECT r.name FROM repositories r
		WHERE r.name > ? AND EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = r.id)
		ORDER BY r.name`
)

// ListTags lists the tags of repo in byte order, keyset-paginated by p over
// the tags primary key. meta.ErrNotFound if the repository does not exist.
func (s *Store) ListTags(ctx context.Context, repo string, p meta.Page) ([]string, error) {
	var repoID int64
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT id FROM repositories WHERE name = ?`), repo).Scan(&repoID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlstore: repository %s: %w", repo, meta.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list tags of %s: %w", repo, err)
	}
	lim, args := limitClause(p.N, []any{repoID, p.Last})
	tags, err := s.names(ctx, qListTags+lim, args, p.N)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list tags of %s: %w", repo, err)
	}
	return tags, nil
}

// ListRepositories lists, in byte order, the repositories holding at least
// one manifest, keyset-paginated by p over the repositories name index.
func (s *Store) ListRepositories(ctx context.Context, p meta.Page) ([]string, error) {
	lim, args := limitClause(p.N, []any{p.Last})
	repos, err := s.names(ctx, qListRepositories+lim, args, p.N)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list repositories: %w", err)
	}
	return repos, nil
}

// names runs a query returning one text column.
func (s *Store) names(ctx context.Context, query string, args []any, n int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.d.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]string, 0, min(max(n, 16), 1024))
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// Referrers lists the manifests of repo whose subject is d (and whose
// artifact type is artifactType, if not empty), ordered by digest. A
// repository or subject that does not exist gives an empty list.
func (s *Store) Referrers(ctx context.Context, repo string, d digest.Digest, artifactType string) ([]meta.Descriptor, error) {
	query := `SELECT m.media_type, m.digest, m.size, m.artifact_type, m.annotations
		FROM repositories r
		JOIN manifests m ON m.repository_id = r.id AND m.subject_digest = ?
		WHERE r.name = ?`
	args := []any{d.String(), repo}
	if artifactType != "" {
		query += ` AND m.artifact_type = ?`
		args = append(args, artifactType)
	}
	rows, err := s.r.QueryContext(ctx, s.d.q(query+` ORDER BY m.digest`), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: referrers of %s in %s: %w", d, repo, err)
	}
	defer rows.Close()
	var out []meta.Descriptor
	for rows.Next() {
		var (
			desc meta.Descriptor
			ann  sql.NullString
		)
		if err := rows.Scan(&desc.MediaType, &desc.Digest, &desc.Size, &desc.ArtifactType, &ann); err != nil {
			return nil, fmt.Errorf("sqlstore: referrers of %s in %s: %w", d, repo, err)
		}
		if desc.Annotations, err = decodeAnnotations(ann); err != nil {
			return nil, fmt.Errorf("sqlstore: referrers of %s in %s: %w", d, repo, err)
		}
		out = append(out, desc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: referrers of %s in %s: %w", d, repo, err)
	}
	return out, nil
}
