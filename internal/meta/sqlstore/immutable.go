package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/selector"
)

var _ meta.ImmutableRules = (*Store)(nil)

const ruleCols = `ir.id, ir.project_id, ir.priority, ir.disabled, ir.repo_decoration, ir.repo_pattern,
	ir.tag_decoration, ir.tag_pattern, ir.created_at, ir.updated_at`

// ruleReturning are ruleCols unqualified, for RETURNING clauses.
var ruleReturning = strings.ReplaceAll(ruleCols, "ir.", "")

func scanRule(row interface{ Scan(...any) error }) (meta.ImmutableRule, error) {
	r := meta.ImmutableRule{
		Repository: selector.Selector{Kind: selector.KindDoublestar},
		Tag:        selector.Selector{Kind: selector.KindDoublestar},
	}
	err := row.Scan(&r.ID, &r.ProjectID, &r.Priority, &r.Disabled, &r.Repository.Decoration, &r.Repository.Pattern,
		&r.Tag.Decoration, &r.Tag.Pattern, timeScanner{&r.CreatedAt}, timeScanner{&r.UpdatedAt})
	return r, err
}

func queryRules(ctx context.Context, q execer, query string, args ...any) ([]meta.ImmutableRule, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.ImmutableRule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListImmutableRules lists the rules of project projectID by priority, id.
func (s *Store) ListImmutableRules(ctx context.Context, projectID int64) ([]meta.ImmutableRule, error) {
	out, err := queryRules(ctx, s.r, s.d.q(`SELECT `+ruleCols+` FROM immutable_rules ir
		WHERE ir.project_id = ? ORDER BY ir.priority, ir.id`), projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: immutable rules of project %d: %w", projectID, err)
	}
	return out, nil
}

// GetImmutableRule returns rule id of project projectID, or meta.ErrNotFound.
func (s *Store) GetImmutableRule(ctx context.Context, projectID, id int64) (meta.ImmutableRule, error) {
	r, err := scanRule(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+ruleCols+` FROM immutable_rules ir
		WHERE ir.project_id = ? AND ir.id = ?`), projectID, id))
	if err != nil {
		return meta.ImmutableRule{}, fmt.Errorf("sqlstore: immutable rule %d of project %d: %w", id, projectID, noRows(err, "rule"))
	}
	return r, nil
}

// CreateImmutableRule stores r and returns it with its id and times.
func (s *Store) CreateImmutableRule(ctx context.Context, r meta.ImmutableRule) (meta.ImmutableRule, error) {
	if err := r.Validate(); err != nil {
		return meta.ImmutableRule{}, fmt.Errorf("sqlstore: create immutable rule: %w: %w", meta.ErrInvalid, err)
	}
	now := s.now()
	out, err := scanRule(s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO immutable_rules
		(project_id, priority, disabled, repo_decoration, repo_pattern, tag_decoration, tag_pattern, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+ruleReturning),
		r.ProjectID, r.Priority, r.Disabled, r.Repository.Decoration, r.Repository.Pattern,
		r.Tag.Decoration, r.Tag.Pattern, s.d.ts(now), s.d.ts(now)))
	if err != nil {
		return meta.ImmutableRule{}, fmt.Errorf("sqlstore: create immutable rule in project %d: %w", r.ProjectID, insertErr(err))
	}
	return out, nil
}

// UpdateImmutableRule replaces rule r.ID of project r.ProjectID.
func (s *Store) UpdateImmutableRule(ctx context.Context, r meta.ImmutableRule) (meta.ImmutableRule, error) {
	if err := r.Validate(); err != nil {
		return meta.ImmutableRule{}, fmt.Errorf("sqlstore: update immutable rule: %w: %w", meta.ErrInvalid, err)
	}
	out, err := scanRule(s.w.QueryRowContext(ctx, s.d.q(`UPDATE immutable_rules SET priority = ?, disabled = ?,
		repo_decoration = ?, repo_pattern = ?, tag_decoration = ?, tag_pattern = ?, updated_at = ?
		WHERE project_id = ? AND id = ? RETURNING `+ruleReturning),
		r.Priority, r.Disabled, r.Repository.Decoration, r.Repository.Pattern, r.Tag.Decoration, r.Tag.Pattern,
		s.d.ts(s.now()), r.ProjectID, r.ID))
	if err != nil {
		return meta.ImmutableRule{}, fmt.Errorf("sqlstore: update immutable rule %d of project %d: %w",
			r.ID, r.ProjectID, insertErr(noRows(err, "rule")))
	}
	return out, nil
}

// DeleteImmutableRule deletes rule id of project projectID.
func (s *Store) DeleteImmutableRule(ctx context.Context, projectID, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM immutable_rules WHERE project_id = ? AND id = ?`), projectID, id)
	if err == nil {
		err = affected(res, "rule")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: delete immutable rule %d of project %d: %w", id, projectID, err)
	}
	return nil
}

// checkMutable returns an *meta.ImmutableTagError if an enabled rule of
// repo's project protects one of tags; it reads the rules inside tx, the
// transaction about to move or delete them. No tags, no query.
func (s *Store) checkMutable(ctx context.Context, tx *sql.Tx, repo string, tags ...string) error {
	if len(tags) == 0 {
		return nil
	}
	rules, err := queryRules(ctx, tx, s.d.q(`SELECT `+ruleCols+` FROM immutable_rules ir
		JOIN projects p ON p.id = ir.project_id
		WHERE p.name = ? AND ir.disabled = ? ORDER BY ir.priority, ir.id`), meta.ProjectOf(repo), false)
	if err != nil {
		return fmt.Errorf("immutable rules: %w", err)
	}
	for _, tag := range tags {
		if r, ok := meta.ImmutableBy(rules, repo, tag); ok {
			return &meta.ImmutableTagError{Repository: repo, Tag: tag, RuleID: r.ID}
		}
	}
	return nil
}
