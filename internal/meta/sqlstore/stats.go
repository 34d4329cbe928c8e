package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// qRecordPull adds pulls to the statistics of a manifest: one upsert that
// finds the manifest through the repositories name index and the manifests
// (repository_id, digest) key. A missing manifest inserts nothing. On
// PostgreSQL the manifest row is locked FOR KEY SHARE (what the foreign key
// check takes anyway), so a concurrent delete makes the SELECT skip the row
// instead of failing the foreign key.
const qRecordPull = `INSERT INTO artifact_stats (repository_id, digest, pull_count, last_pulled_at)
	SELECT m.repository_id, m.digest, ?, ?
	FROM repositories r JOIN manifests m ON m.repository_id = r.id AND m.digest = ?
	WHERE r.name = ?%s
	ON CONFLICT (repository_id, digest) DO UPDATE SET
		pull_count = artifact_stats.pull_count + excluded.pull_count,
		last_pulled_at = CASE WHEN excluded.last_pulled_at > artifact_stats.last_pulled_at
			THEN excluded.last_pulled_at ELSE artifact_stats.last_pulled_at END`

// recordPullQuery returns qRecordPull for the dialect.
func (d dialect) recordPullQuery() string {
	lock := ""
	if d == dialectPostgres {
		lock = " FOR KEY SHARE OF m"
	}
	return d.q(fmt.Sprintf(qRecordPull, lock))
}

// RecordPull adds one pull of manifest d in repo: a single autocommit
// upsert. meta.ErrNotFound if repo holds no manifest d.
func (s *Store) RecordPull(ctx context.Context, repo string, d digest.Digest, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.d.recordPullQuery(), 1, s.d.ts(at), d.String(), repo)
	if err == nil {
		err = affected(res, "manifest")
	} else {
		err = insertErr(err)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: record pull of %s in %s: %w", d, repo, err)
	}
	return nil
}

// RecordPulls adds a batch of pulls in one transaction, after merging
// entries for the same manifest and sorting them (a fixed lock order, so
// concurrent batches cannot deadlock). Entries whose manifest does not
// exist are skipped.
func (s *Store) RecordPulls(ctx context.Context, pulls ...meta.Pull) error {
	if len(pulls) == 0 {
		return nil
	}
	type key struct {
		repo string
		d    digest.Digest
	}
	merged := make(map[key]meta.Pull, len(pulls))
	for _, p := range pulls {
		p.Count = max(p.Count, 1)
		k := key{p.Repository, p.Digest}
		if m, ok := merged[k]; ok {
			p.Count += m.Count
			if m.At.After(p.At) {
				p.At = m.At
			}
		}
		merged[k] = p
	}
	sorted := make([]meta.Pull, 0, len(merged))
	for _, p := range merged {
		sorted = append(sorted, p)
	}
	slices.SortFunc(sorted, func(a, b meta.Pull) int {
		return cmp.Or(cmp.Compare(a.Repository, b.Repository), cmp.Compare(a.Digest, b.Digest))
	})
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, s.d.recordPullQuery())
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range sorted {
			if _, err := st.ExecContext(ctx, p.Count, s.d.ts(p.At), p.Digest.String(), p.Repository); err != nil {
				return fmt.Errorf("%s@%s: %w", p.Repository, p.Digest, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstore: record %d pulls: %w", len(pulls), err)
	}
	return nil
}

// GetArtifactStats returns the statistics of manifest d in repo, or
// meta.ErrNotFound if it was never pulled.
func (s *Store) GetArtifactStats(ctx context.Context, repo string, d digest.Digest) (meta.ArtifactStats, error) {
	st := meta.ArtifactStats{Repository: repo, Digest: d}
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT a.pull_count, a.last_pulled_at
		FROM repositories r JOIN artifact_stats a ON a.repository_id = r.id AND a.digest = ?
		WHERE r.name = ?`), d.String(), repo).Scan(&st.PullCount, timeScanner{&st.LastPulledAt})
	if err != nil {
		return meta.ArtifactStats{}, fmt.Errorf("sqlstore: stats of %s in %s: %w", d, repo, noRows(err, "artifact stats"))
	}
	return st, nil
}
