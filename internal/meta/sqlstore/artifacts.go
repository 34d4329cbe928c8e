package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

var _ meta.Artifacts = (*Store)(nil)

// blobsSize is the total size of the blobs manifest alias references.
func blobsSize(alias string) string {
	return `(SELECT COALESCE(SUM(b.size), 0) FROM manifest_blobs mb JOIN blobs b ON b.digest = mb.digest
		WHERE mb.manifest_id = ` + alias + `.id)`
}

// artifactCols are the columns of an artifact over manifests m LEFT JOIN
// artifact_stats a. The size adds the blobs of the manifest and, for an
// index, its stored children and their blobs: correlated subqueries over
// the edge tables' keys, evaluated for the rows of the page.
var artifactCols = `m.id, m.repository_id, m.digest, m.media_type, m.artifact_type, m.subject_digest,
	m.annotations, m.payload, m.size,
	CAST(m.size + ` + blobsSize("m") + ` + (SELECT COALESCE(SUM(cm.size + ` + blobsSize("cm") + `), 0)
		FROM manifest_children mc JOIN manifests cm ON cm.repository_id = m.repository_id AND cm.digest = mc.child_digest
		WHERE mc.manifest_id = m.id) AS BIGINT),
	m.created_at, a.last_pulled_at, COALESCE(a.pull_count, 0)`

const artifactFrom = ` FROM manifests m
	LEFT JOIN artifact_stats a ON a.repository_id = m.repository_id AND a.digest = m.digest`

func scanArtifact(row interface{ Scan(...any) error }, repo string) (meta.Artifact, error) {
	a := meta.Artifact{Repository: repo}
	var subject, ann sql.NullString
	err := row.Scan(&a.ID, &a.RepositoryID, &a.Digest, &a.MediaType, &a.ArtifactType, &subject, &ann,
		&a.Payload, &a.ManifestSize, &a.Size, timeScanner{&a.PushedAt}, timeScanner{&a.PulledAt}, &a.PullCount)
	if err != nil {
		return meta.Artifact{}, err
	}
	a.Subject = digest.Digest(subject.String)
	if a.Annotations, err = decodeAnnotations(ann); err != nil {
		return meta.Artifact{}, err
	}
	return a, nil
}

// artifactWhere builds the conditions of f over manifests m of repo.
func (s *Store) artifactWhere(repo string, f meta.ArtifactFilter) *where {
	w := &where{}
	w.add(`m.repository_id = (SELECT id FROM repositories WHERE name = ?)`, repo)
	if f.Digest != "" {
		w.add(`m.digest = ?`, f.Digest.String())
	} else {
		w.add(rootCond("m"))
	}
	if f.Tag != "" {
		w.add(`EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.name = ? AND t.manifest_id = m.id)`, f.Tag)
	}
	if f.TagContains != "" {
		w.add(`EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id AND `+s.d.contains("t.name")+`)`, f.TagContains)
	}
	if f.Tagged != nil {
		cond := `EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)`
		if !*f.Tagged {
			cond = `NOT ` + cond
		}
		w.add(cond)
	}
	if f.MediaType != "" {
		w.add(`m.media_type = ?`, f.MediaType)
	}
	return w
}

// artifactOrder returns the ORDER BY clause of an artifact sort. Never
// pulled artifacts come last in both pull time orders.
func artifactOrder(o meta.ArtifactSort) (string, error) {
	switch o {
	case "", meta.SortByPushTimeDesc:
		return ` ORDER BY m.created_at DESC, m.id DESC`, nil
	case meta.SortByPushTime:
		return ` ORDER BY m.created_at, m.id`, nil
	case meta.SortByPullTimeDesc:
		return ` ORDER BY (a.last_pulled_at IS NULL), a.last_pulled_at DESC, m.id DESC`, nil
	case meta.SortByPullTime:
		return ` ORDER BY (a.last_pulled_at IS NULL), a.last_pulled_at, m.id`, nil
	case meta.SortByDigest:
		return ` ORDER BY m.digest`, nil
	}
	return "", invalid("artifact sort %q", o)
}

// ListArtifacts lists the artifacts of repo matching f: one query for the
// page, one for the tags of its artifacts.
func (s *Store) ListArtifacts(ctx context.Context, repo string, f meta.ArtifactFilter, win meta.Window) ([]meta.Artifact, error) {
	order, err := artifactOrder(f.Sort)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list artifacts of %s: %w", repo, err)
	}
	w := s.artifactWhere(repo, f)
	lim, args := s.d.window(win, w.args)
	// Page over the indexes first; sizes are computed for the page only.
	out, err := s.queryArtifacts(ctx, repo, `SELECT `+artifactCols+artifactFrom+` WHERE m.id IN (SELECT m.id`+
		artifactFrom+w.String()+order+lim+`)`+order, args)
	if err == nil {
		err = s.fillTags(ctx, out)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list artifacts of %s: %w", repo, err)
	}
	return out, nil
}

func (s *Store) queryArtifacts(ctx context.Context, repo, query string, args []any) ([]meta.Artifact, error) {
	rows, err := s.r.QueryContext(ctx, s.d.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.Artifact
	for rows.Next() {
		a, err := scanArtifact(rows, repo)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// fillTags sets the Tags of arts with one query per batch of artifacts.
func (s *Store) fillTags(ctx context.Context, arts []meta.Artifact) error {
	byID := make(map[int64]*meta.Artifact, len(arts))
	for i := range arts {
		byID[arts[i].ID] = &arts[i]
	}
	for start := 0; start < len(arts); start += batch {
		part := arts[start:min(start+batch, len(arts))]
		args := make([]any, len(part))
		for i, a := range part {
			args[i] = a.ID
		}
		rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT t.manifest_id, t.name, t.updated_at FROM tags t
			WHERE t.manifest_id IN (`+placeholders(len(part))+`) ORDER BY t.manifest_id, t.name`), args...)
		if err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		for rows.Next() {
			var (
				id  int64
				tag meta.ArtifactTag
			)
			if err := rows.Scan(&id, &tag.Name, timeScanner{&tag.PushedAt}); err != nil {
				rows.Close()
				return fmt.Errorf("tags: %w", err)
			}
			if a := byID[id]; a != nil {
				tag.Digest = a.Digest
				a.Tags = append(a.Tags, tag)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("tags: %w", err)
		}
	}
	return nil
}

// CountArtifacts counts the artifacts of repo matching f.
func (s *Store) CountArtifacts(ctx context.Context, repo string, f meta.ArtifactFilter) (int64, error) {
	w := s.artifactWhere(repo, f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM manifests m`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count artifacts of %s: %w", repo, err)
	}
	return n, nil
}

// GetArtifact returns manifest d of repo with its tags, or meta.ErrNotFound.
func (s *Store) GetArtifact(ctx context.Context, repo string, d digest.Digest) (meta.Artifact, error) {
	arts, err := s.ListArtifacts(ctx, repo, meta.ArtifactFilter{Digest: d}, meta.Window{Limit: 1})
	if err != nil {
		return meta.Artifact{}, err
	}
	if len(arts) == 0 {
		return meta.Artifact{}, fmt.Errorf("sqlstore: artifact %s in %s: %w", d, repo, meta.ErrNotFound)
	}
	return arts[0], nil
}

// ListChildArtifacts returns the stored children of index d in repo.
func (s *Store) ListChildArtifacts(ctx context.Context, repo string, d digest.Digest) ([]meta.Artifact, error) {
	out, err := s.queryArtifacts(ctx, repo, `SELECT `+artifactCols+artifactFrom+`
		WHERE m.id IN (SELECT cm.id FROM repositories r
			JOIN manifests pm ON pm.repository_id = r.id AND pm.digest = ?
			JOIN manifest_children mc ON mc.manifest_id = pm.id
			JOIN manifests cm ON cm.repository_id = r.id AND cm.digest = mc.child_digest
			WHERE r.name = ?)
		ORDER BY m.digest`, []any{d.String(), repo})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: children of %s in %s: %w", d, repo, err)
	}
	return out, nil
}

// tagWhere builds the conditions of f over the tags t of manifest d of repo.
func (s *Store) tagWhere(repo string, d digest.Digest, f meta.TagFilter) *where {
	w := &where{}
	w.add(`t.manifest_id = (SELECT m.id FROM repositories r JOIN manifests m ON m.repository_id = r.id AND m.digest = ?
		WHERE r.name = ?)`, d.String(), repo)
	if f.Name != "" {
		w.add(`t.name = ?`, f.Name)
	}
	if f.NameContains != "" {
		w.add(s.d.contains("t.name"), f.NameContains)
	}
	return w
}

// ListArtifactTags lists the tags of manifest d in repo matching f, by name.
func (s *Store) ListArtifactTags(ctx context.Context, repo string, d digest.Digest, f meta.TagFilter, win meta.Window) ([]meta.ArtifactTag, error) {
	w := s.tagWhere(repo, d, f)
	lim, args := s.d.window(win, w.args)
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT t.name, t.updated_at FROM tags t`+w.String()+` ORDER BY t.name`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: tags of %s in %s: %w", d, repo, err)
	}
	defer rows.Close()
	var out []meta.ArtifactTag
	for rows.Next() {
		tag := meta.ArtifactTag{Digest: d}
		if err := rows.Scan(&tag.Name, timeScanner{&tag.PushedAt}); err != nil {
			return nil, fmt.Errorf("sqlstore: tags of %s in %s: %w", d, repo, err)
		}
		out = append(out, tag)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: tags of %s in %s: %w", d, repo, err)
	}
	return out, nil
}

// CountArtifactTags counts the tags of manifest d in repo matching f.
func (s *Store) CountArtifactTags(ctx context.Context, repo string, d digest.Digest, f meta.TagFilter) (int64, error) {
	w := s.tagWhere(repo, d, f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM tags t`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count tags of %s in %s: %w", d, repo, err)
	}
	return n, nil
}

// AddTag points a new tag at manifest d of repo and records it in the tag
// history: meta.ErrNotFound if there is no such manifest, meta.ErrConflict
// if the tag exists.
func (s *Store) AddTag(ctx context.Context, repo, tag string, d digest.Digest) error {
	if tag == "" {
		return fmt.Errorf("sqlstore: add tag: %w", invalid("empty tag"))
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var repoID, id int64
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT r.id, m.id FROM repositories r
			JOIN manifests m ON m.repository_id = r.id AND m.digest = ? WHERE r.name = ?`+s.d.shareLock()),
			d.String(), repo).Scan(&repoID, &id)
		if err != nil {
			return noRows(err, "manifest")
		}
		return s.setTag(ctx, tx, repo, repoID, tag, id, d, true)
	})
	if err != nil {
		if errors.Is(err, meta.ErrConflict) {
			return fmt.Errorf("sqlstore: tag %s in %s exists: %w", tag, repo, err)
		}
		return fmt.Errorf("sqlstore: add tag %s to %s in %s: %w", tag, d, repo, err)
	}
	return nil
}
