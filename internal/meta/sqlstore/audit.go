package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

const auditCols = `a.id, a.occurred_at, a.username, a.principal_kind, a.operation, a.resource_type, a.resource,
	a.project, a.remote_addr, a.detail`

// pruneBatch bounds the rows one PruneAudit statement deletes, so that a
// large prune never holds the SQLite writer (or PostgreSQL row locks and
// WAL) for long.
const pruneBatch = 1000

func scanAudit(row interface{ Scan(...any) error }) (meta.AuditEvent, error) {
	var (
		e       meta.AuditEvent
		project sql.NullString
		detail  sql.NullString
	)
	err := row.Scan(&e.ID, timeScanner{&e.OccurredAt}, &e.Username, &e.PrincipalKind, &e.Operation, &e.ResourceType,
		&e.Resource, &project, &e.RemoteAddr, &detail)
	if err != nil {
		return meta.AuditEvent{}, err
	}
	e.Project = project.String
	if e.Detail, err = decodeAnnotations(detail); err != nil {
		return meta.AuditEvent{}, err
	}
	return e, nil
}

// AppendAudit stores events with multi-row INSERTs in one transaction.
// meta.ErrInvalid, storing nothing, if an event has no Operation.
func (s *Store) AppendAudit(ctx context.Context, events ...meta.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	const cols = 9
	now := s.now()
	args := make([]any, 0, cols*len(events))
	for _, e := range events {
		if e.Operation == "" {
			return fmt.Errorf("sqlstore: append audit: %w", invalid("event without an operation"))
		}
		detail, err := encodeMap(e.Detail)
		if err != nil {
			return fmt.Errorf("sqlstore: append audit: encode detail: %w", err)
		}
		var project any
		if e.Project != "" {
			project = e.Project
		}
		at := e.OccurredAt
		if at.IsZero() {
			at = now
		}
		args = append(args, s.d.ts(at), e.Username, e.PrincipalKind, e.Operation, e.ResourceType, e.Resource,
			project, e.RemoteAddr, detail)
	}
	const per = batch / cols * cols // whole rows per statement
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(args); start += per {
			part := args[start:min(start+per, len(args))]
			values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(part)/cols), ", ")
			_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO audit_log
				(occurred_at, username, principal_kind, operation, resource_type, resource, project, remote_addr, detail)
				VALUES `+values), part...)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstore: append %d audit events: %w", len(events), err)
	}
	return nil
}

func (s *Store) auditWhere(f meta.AuditFilter) *where {
	w := &where{}
	for _, c := range []struct{ col, v string }{
		{"a.project", f.Project},
		{"a.username", f.Username},
		{"a.operation", f.Operation},
		{"a.resource_type", f.ResourceType},
		{"a.resource", f.Resource},
	} {
		if c.v != "" {
			w.add(c.col+` = ?`, c.v)
		}
	}
	if f.Projects != nil {
		w.add(inList("a.project", len(f.Projects)), stringArgs(f.Projects)...)
	}
	if f.UsernameContains != "" {
		w.add(s.d.contains("a.username"), f.UsernameContains)
	}
	if f.ResourceContains != "" {
		w.add(s.d.contains("a.resource"), f.ResourceContains)
	}
	if !f.From.IsZero() {
		w.add(`a.occurred_at >= ?`, s.d.ts(f.From))
	}
	if !f.To.IsZero() {
		w.add(`a.occurred_at < ?`, s.d.ts(f.To))
	}
	if f.Before.ID != 0 {
		w.add(`(a.occurred_at, a.id) < (?, ?)`, s.d.ts(f.Before.OccurredAt), f.Before.ID)
	}
	return w
}

// ListAudit lists the events matching f, newest first. Each equality
// filter (Projects too) has an index ending in (occurred_at, id), so a page
// is a bounded index range scan, or for Projects a merge of one per
// project; substring filters are checked on the rows those scans read.
func (s *Store) ListAudit(ctx context.Context, f meta.AuditFilter, win meta.Window) ([]meta.AuditEvent, error) {
	w := s.auditWhere(f)
	lim, args := s.d.window(win, w.args)
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT `+auditCols+` FROM audit_log a`+w.String()+
		` ORDER BY a.occurred_at DESC, a.id DESC`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	defer rows.Close()
	var out []meta.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list audit: %w", err)
	}
	return out, nil
}

// CountAudit counts the events matching f.
func (s *Store) CountAudit(ctx context.Context, f meta.AuditFilter) (int64, error) {
	w := s.auditWhere(f)
	n, err := s.count(ctx, `SELECT COUNT(*) FROM audit_log a`+w.String(), w.args)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count audit: %w", err)
	}
	return n, nil
}

// PruneAudit deletes the events older than olderThan, pruneBatch rows per
// statement (oldest first, by the occurred_at index), and returns how many.
func (s *Store) PruneAudit(ctx context.Context, olderThan time.Time) (int64, error) {
	var total int64
	cutoff := s.d.ts(olderThan)
	for {
		res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM audit_log WHERE id IN
			(SELECT id FROM audit_log WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)`), cutoff, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("sqlstore: prune audit: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlstore: prune audit: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
