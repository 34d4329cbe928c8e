package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// batch bounds the number of values in one IN list or multi-row INSERT, well
// under SQLite's and PostgreSQL's parameter limits.
const batch = 400

const manifestCols = `m.digest, m.media_type, m.artifact_type, m.size, m.payload, m.subject_digest, m.annotations, m.created_at`

// The hot reads: one query each, every join a unique-index lookup.
const (
	qGetManifest = `SELECT ` + manifestCols + `
		FROM repositories r
		JOIN manifests m ON m.repository_id = r.id AND m.digest = ?
		WHERE r.name = ?`
	qResolveTag = `SELECT ` + manifestCols + `
		FROM repositories r
		JOIN tags t ON t.repository_id = r.id AND t.name = ?
		JOIN manifests m ON m.id = t.manifest_id
		WHERE r.name = ?`
)

func scanManifest(row interface{ Scan(...any) error }, repo string) (meta.Manifest, error) {
	m := meta.Manifest{Repository: repo}
	var subject, ann sql.NullString
	err := row.Scan(&m.Digest, &m.MediaType, &m.ArtifactType, &m.Size, &m.Payload, &subject, &ann,
		timeScanner{&m.CreatedAt})
	if err != nil {
		return meta.Manifest{}, err
	}
	m.Subject = digest.Digest(subject.String)
	if m.Annotations, err = decodeAnnotations(ann); err != nil {
		return meta.Manifest{}, err
	}
	return m, nil
}

func decodeAnnotations(ann sql.NullString) (map[string]string, error) {
	if !ann.Valid || ann.String == "" {
		return nil, nil
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(ann.String), &out); err != nil {
		return nil, fmt.Errorf("decode annotations: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// GetManifest returns manifest d of repo, or meta.ErrNotFound. Blobs and
// Children are not filled in (they are in the payload); it is one query over
// the repositories name index and the manifests (repository_id, digest) key.
func (s *Store) GetManifest(ctx context.Context, repo string, d digest.Digest) (meta.Manifest, error) {
	m, err := scanManifest(s.getManifest.QueryRowContext(ctx, d.String(), repo), repo)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Manifest{}, fmt.Errorf("sqlstore: manifest %s in %s: %w", d, repo, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Manifest{}, fmt.Errorf("sqlstore: get manifest %s in %s: %w", d, repo, err)
	}
	return m, nil
}

// ResolveTag returns the manifest tag points at, or meta.ErrNotFound. Like
// GetManifest it is one indexed query and leaves Blobs and Children nil.
func (s *Store) ResolveTag(ctx context.Context, repo, tag string) (meta.Manifest, error) {
	m, err := scanManifest(s.resolveTag.QueryRowContext(ctx, tag, repo), repo)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Manifest{}, fmt.Errorf("sqlstore: tag %s in %s: %w", tag, repo, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Manifest{}, fmt.Errorf("sqlstore: resolve tag %s in %s: %w", tag, repo, err)
	}
	return m, nil
}

// PutManifest stores m and, if tag != "", points tag at it, in one
// transaction: it creates the repository row if needed, checks that every
// m.Blobs digest is linked to the repository and every m.Children digest is a
// manifest in it (*meta.MissingReferenceError naming the first missing one
// otherwise), inserts the manifest and its edges unless it already exists,
// and moves the tag: a move is refused with *meta.ImmutableTagError when an
// immutability rule protects the tag, and recorded in the tag history. On
// PostgreSQL the referenced rows are locked FOR SHARE until commit, so a
// concurrent unlink or delete cannot slip in between, and the tag row FOR
// UPDATE, so concurrent moves of one tag are checked and recorded in turn.
func (s *Store) PutManifest(ctx context.Context, m meta.Manifest, tag string) error {
	blobs, children := dedupe(m.Blobs), dedupe(m.Children)
	var ann, subject any
	if len(m.Annotations) > 0 {
		b, err := json.Marshal(m.Annotations)
		if err != nil {
			return fmt.Errorf("sqlstore: put manifest %s: encode annotations: %w", m.Digest, err)
		}
		ann = string(b)
	}
	if m.Subject != "" {
		subject = m.Subject.String()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		repoID, err := s.ensureRepo(ctx, tx, m.Repository)
		if err != nil {
			return err
		}
		if err := s.checkPresent(ctx, tx, `SELECT digest FROM repository_blobs WHERE repository_id = ? AND digest IN (%s)`, repoID, blobs); err != nil {
			return err
		}
		if err := s.checkPresent(ctx, tx, `SELECT digest FROM manifests WHERE repository_id = ? AND digest IN (%s)`, repoID, children); err != nil {
			return err
		}
		id, inserted, err := s.insertManifest(ctx, tx, repoID, m, subject, ann)
		if err != nil {
			return err
		}
		if inserted {
			if err := s.insertEdges(ctx, tx, "manifest_blobs", "digest", id, blobs); err != nil {
				return err
			}
			if err := s.insertEdges(ctx, tx, "manifest_children", "child_digest", id, children); err != nil {
				return err
			}
		}
		if tag == "" {
			return nil
		}
		return s.setTag(ctx, tx, m.Repository, repoID, tag, id, m.Digest, false)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: put manifest %s in %s: %w", m.Digest, m.Repository, err)
	}
	return nil
}

// checkPresent runs query (an IN list over digests, formatted in with %s)
// and returns a *meta.MissingReferenceError for the first of want, in order,
// that it does not return.
func (s *Store) checkPresent(ctx context.Context, tx *sql.Tx, query string, repoID int64, want []digest.Digest) error {
	if len(want) == 0 {
		return nil
	}
	found := make(map[digest.Digest]bool, len(want))
	for start := 0; start < len(want); start += batch {
		part := want[start:min(start+batch, len(want))]
		args := make([]any, 0, len(part)+1)
		args = append(args, repoID)
		for _, d := range part {
			args = append(args, d.String())
		}
		rows, err := tx.QueryContext(ctx, s.d.q(fmt.Sprintf(query, placeholders(len(part)))+s.d.shareLock()), args...)
		if err != nil {
			return fmt.Errorf("check references: %w", err)
		}
		for rows.Next() {
			var d digest.Digest
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return fmt.Errorf("check references: %w", err)
			}
			found[d] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("check references: %w", err)
		}
	}
	for _, d := range want {
		if !found[d] {
			return &meta.MissingReferenceError{Digest: d}
		}
	}
	return nil
}

// insertManifest inserts m unless the repository already has it and returns
// its id and whether it was inserted. An existing row is locked FOR SHARE on
// PostgreSQL so that it cannot be deleted before the tag points at it.
func (s *Store) insertManifest(ctx context.Context, tx *sql.Tx, repoID int64, m meta.Manifest, subject, ann any) (int64, bool, error) {
	// A concurrent DeleteManifest can remove the row between the INSERT that
	// saw it and the SELECT; a few rounds settle that.
	for range 3 {
		var id int64
		err := tx.QueryRowContext(ctx, s.d.q(`INSERT INTO manifests
			(repository_id, digest, media_type, artifact_type, size, payload, subject_digest, annotations, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id`),
			repoID, m.Digest.String(), m.MediaType, m.ArtifactType, m.Size, m.Payload, subject, ann, s.d.ts(m.CreatedAt)).Scan(&id)
		if err == nil {
			return id, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("insert manifest: %w", err)
		}
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT id FROM manifests WHERE repository_id = ? AND digest = ?`+s.d.shareLock()),
			repoID, m.Digest.String()).Scan(&id)
		if err == nil {
			return id, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("find manifest: %w", err)
		}
	}
	return 0, false, fmt.Errorf("insert manifest: raced with concurrent deletes: %w", meta.ErrConflict)
}

// insertEdges inserts (manifest_id, col) rows into table for each digest.
func (s *Store) insertEdges(ctx context.Context, tx *sql.Tx, table, col string, id int64, ds []digest.Digest) error {
	for start := 0; start < len(ds); start += batch {
		part := ds[start:min(start+batch, len(ds))]
		args := make([]any, 0, 2*len(part))
		values := make([]byte, 0, 8*len(part))
		for i, d := range part {
			if i > 0 {
				values = append(values, ',')
			}
			values = append(values, "(?, ?)"...)
			args = append(args, id, d.String())
		}
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO `+table+` (manifest_id, `+col+`) VALUES `+string(values)+
			` ON CONFLICT DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}

// DeleteManifest removes manifest d from repo; its edges go with it (ON
// DELETE CASCADE), and so do the tags pointing at it, each recorded in the
// tag history. *meta.ImmutableTagError if an immutability rule protects one
// of those tags; meta.ErrNotFound if the manifest is absent.
func (s *Store) DeleteManifest(ctx context.Context, repo string, d digest.Digest) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var repoID, id int64
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT r.id, m.id FROM repositories r
			JOIN manifests m ON m.repository_id = r.id AND m.digest = ? WHERE r.name = ?`+s.d.lockOf("m")),
			d.String(), repo).Scan(&repoID, &id)
		if err != nil {
			return noRows(err, "manifest")
		}
		tags, err := s.manifestTags(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.checkMutable(ctx, tx, repo, tags...); err != nil {
			return err
		}
		for _, tag := range tags {
			if err := s.recordTagChange(ctx, tx, repoID, tag, d, ""); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.d.q(`DELETE FROM manifests WHERE id = ?`), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: delete manifest %s in %s: %w", d, repo, err)
	}
	return nil
}

// manifestTags returns the names of the tags on manifest id, locked for
// the rest of tx on PostgreSQL.
func (s *Store) manifestTags(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, s.d.q(`SELECT name FROM tags WHERE manifest_id = ? ORDER BY name`+s.d.forUpdate()), id)
	if err != nil {
		return nil, fmt.Errorf("tags of manifest: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("tags of manifest: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteTag removes tag from repo (not the manifest) and records it in the
// tag history. *meta.ImmutableTagError if an immutability rule protects
// it; meta.ErrNotFound if absent.
func (s *Store) DeleteTag(ctx context.Context, repo, tag string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var repoID int64
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT id FROM repositories WHERE name = ?`), repo).Scan(&repoID)
		if err != nil {
			return noRows(err, "tag")
		}
		_, old, found, err := s.currentTag(ctx, tx, repoID, tag)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("tag: %w", meta.ErrNotFound)
		}
		if err := s.checkMutable(ctx, tx, repo, tag); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM tags WHERE repository_id = ? AND name = ?`), repoID, tag); err != nil {
			return err
		}
		return s.recordTagChange(ctx, tx, repoID, tag, old, "")
	})
	if err != nil {
		return fmt.Errorf("sqlstore: delete tag %s in %s: %w", tag, repo, err)
	}
	return nil
}

// dedupe returns ds without repeats, keeping the first occurrence order.
func dedupe(ds []digest.Digest) []digest.Digest {
	if len(ds) < 2 {
		return ds
	}
	seen := make(map[digest.Digest]bool, len(ds))
	out := make([]digest.Digest, 0, len(ds))
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
