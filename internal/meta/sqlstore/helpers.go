package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/berth-oci/berth/internal/meta"
)

// Helpers shared by the identity, audit and statistics aggregates.

// nullTS encodes t like ts, or as NULL when t is zero ("never").
func (d dialect) nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.ts(t)
}

// contains returns a condition true when column col contains the next
// argument as a substring, case-sensitively and with no wildcard escaping.
func (d dialect) contains(col string) string {
	if d == dialectPostgres {
		return "strpos(" + col + ", ?) > 0"
	}
	return "instr(" + col + ", ?) > 0"
}

// window returns the LIMIT/OFFSET clause of w and appends its arguments.
func (d dialect) window(w meta.Window, args []any) (string, []any) {
	off := max(w.Offset, 0)
	switch {
	case w.Limit > 0:
		return " LIMIT ? OFFSET ?", append(args, w.Limit, off)
	case off == 0:
		return "", args
	case d == dialectSQLite:
		return " LIMIT -1 OFFSET ?", append(args, off) // SQLite needs a LIMIT before OFFSET
	default:
		return " OFFSET ?", append(args, off)
	}
}

// where collects the conditions and arguments of a filtered query.
type where struct {
	conds []string
	args  []any
}

// add appends cond with its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String returns " WHERE c1 AND c2 ..." or "".
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// isFKViolation reports a foreign key constraint failure.
func isFKViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isCheckViolation reports a CHECK or NOT NULL constraint failure.
func isCheckViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23514" || pe.Code == "23502"
	}
	var se *sqlite.Error
	return errors.As(err, &se) &&
		(se.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK || se.Code() == sqlite3.SQLITE_CONSTRAINT_NOTNULL)
}

// insertErr maps the constraint failures of an INSERT or UPDATE to the meta
// sentinels: a unique violation is meta.ErrConflict, a foreign key
// violation (the referenced row is missing) meta.ErrNotFound, a CHECK
// violation meta.ErrInvalid. Other errors are returned as they are.
func insertErr(err error) error {
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %w", meta.ErrConflict, err)
	case isFKViolation(err):
		return fmt.Errorf("%w: %w", meta.ErrNotFound, err)
	case isCheckViolation(err):
		return fmt.Errorf("%w: %w", meta.ErrInvalid, err)
	}
	return err
}

// invalid returns an error wrapping meta.ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{meta.ErrInvalid}, args...)...)
}

// affected returns meta.ErrNotFound (wrapped with what) when res changed no
// row.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	return nil
}

// noRows turns sql.ErrNoRows into meta.ErrNotFound (wrapped with what).
func noRows(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	return err
}

// encodeMap encodes a string map as JSON text, or NULL when it is empty.
func encodeMap(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// nullInt64 returns *p, or NULL when p is nil.
func nullInt64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// count runs a SELECT COUNT(*) query on the read pool.
func (s *Store) count(ctx context.Context, query string, args []any) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, s.d.q(query), args...).Scan(&n); err != nil {
		return 0, err
	}
	return n, nil
}

// forUpdate is appended to a SELECT that must lock its rows against
// concurrent writers until the transaction ends (PostgreSQL; SQLite has one
// writer).
func (d dialect) forUpdate() string {
	if d == dialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

// inList returns "col IN (?,...)" for n arguments; false for none.
func inList(col string, n int) string {
	if n == 0 {
		return `1 = 0`
	}
	return col + ` IN (` + placeholders(n) + `)`
}

// stringArgs converts strings to query arguments.
func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
