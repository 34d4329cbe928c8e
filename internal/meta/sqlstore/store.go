package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/berth-oci/berth/internal/meta"
)

// Driver names accepted by Open.
const (
	// DriverSQLite selects the embedded, pure-Go SQLite backend; the DSN is
	// a file path.
	DriverSQLite = "sqlite"
	// DriverPostgres selects PostgreSQL through pgx; the DSN is a URL or a
	// keyword/value connection string.
	DriverPostgres = "postgres"
)

// Store is a meta.Store over SQLite or PostgreSQL. It is safe for concurrent
// use.
type Store struct {
	d   dialect
	w   *sql.DB // writes; SQLite: exactly one connection
	r   *sql.DB // reads; SQLite: a pool of query_only connections; PostgreSQL: same as w
	log *slog.Logger
	now func() time.Time

	// Prepared hot reads on r (prepared lazily per connection by database/sql).
	getManifest, resolveTag, repoBlob *sql.Stmt
}

var _ meta.Store = (*Store)(nil)

// Open opens (creating if needed) the metadata database and applies pending
// migrations. driver is DriverSQLite or DriverPostgres.
//
// For SQLite, dsn is a file path; missing parent directories are created. The
// database runs in WAL mode with synchronous=FULL, so a committed transaction
// survives power loss; writes go through a single connection (BEGIN
// IMMEDIATE) and reads through a separate pool, so reads never wait on writes
// and writers never see SQLITE_BUSY from each other.
//
// For PostgreSQL, dsn is a pgx connection string. Tables are created in the
// connection's current schema (set search_path in the DSN to use another).
func Open(ctx context.Context, driver, dsn string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{log: log, now: time.Now}
	var err error
	switch driver {
	case DriverSQLite:
		s.d = dialectSQLite
		err = s.openSQLite(ctx, dsn)
	case DriverPostgres:
		s.d = dialectPostgres
		err = s.openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("sqlstore: unknown driver %q (want %q or %q)", driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepare prepares the hot read statements.
func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.getManifest, qGetManifest},
		{&s.resolveTag, qResolveTag},
		{&s.repoBlob, qRepoBlob},
	} {
		st, err := s.r.PrepareContext(ctx, s.d.q(p.query))
		if err != nil {
			return fmt.Errorf("sqlstore: prepare: %w", err)
		}
		*p.stmt = st
	}
	return nil
}

func (s *Store) openSQLite(ctx context.Context, path string) error {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return fmt.Errorf("sqlstore: sqlite dsn must be a plain file path, got %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("sqlstore: create directory for %s: %w", path, err)
		}
	}
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	wc, err := sqlite.NewConnector(path + "?" + common +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=journal_size_limit(67108864)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	s.w = sql.OpenDB(wc)
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	// The writer connection sets WAL mode (persistent in the file) before
	// any reader opens the database.
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	rc, err := sqlite.NewConnector(path + "?" + common + "&_pragma=query_only(1)")
	if err != nil {
		s.w.Close()
		return fmt.Errorf("sqlstore: open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r = sql.OpenDB(rc)
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.r.SetConnMaxIdleTime(10 * time.Minute)
	return nil
}

func (s *Store) openPostgres(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("sqlstore: parse postgres dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	n := max(8, 4*runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("sqlstore: connect to postgres: %w", err)
	}
	s.w, s.r = db, db
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlstore: ping: %w", err)
		}
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.getManifest, s.resolveTag, s.repoBlob} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		if s.d == dialectSQLite {
			// Let SQLite refresh planner statistics it thinks are stale.
			if _, err := s.w.Exec("PRAGMA optimize"); err != nil {
				s.log.Warn("sqlstore: pragma optimize", "err", err)
			}
		}
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

// Counts returns totals for metrics.
func (s *Store) Counts(ctx context.Context) (meta.Counts, error) {
	var c meta.Counts
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM repositories),
		(SELECT COUNT(*) FROM manifests),
		(SELECT COUNT(*) FROM blobs),
		(SELECT COALESCE(SUM(size), 0) FROM blobs),
		(SELECT COUNT(*) FROM uploads)`).
		Scan(&c.Repositories, &c.Manifests, &c.Blobs, &c.BlobBytes, &c.Uploads)
	if err != nil {
		return meta.Counts{}, fmt.Errorf("sqlstore: counts: %w", err)
	}
	return c, nil
}

// dialect is what differs between SQLite and PostgreSQL in the SQL the store
// sends: placeholders, timestamp encoding and row locks.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// q rewrites the ? placeholders of query for the dialect ($1, $2... on
// PostgreSQL). Queries in this package never contain a literal '?'.
func (d dialect) q(query string) string {
	if d != dialectPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// shareLock is appended to the SELECTs that check a manifest's references:
// on PostgreSQL the rows stay locked against a concurrent unlink or delete
// until the transaction ends; SQLite has one writer and needs nothing.
func (d dialect) shareLock() string {
	if d == dialectPostgres {
		return " FOR SHARE"
	}
	return ""
}

// tsLayout is the fixed-width UTC layout timestamps are stored in on SQLite,
// chosen so that string order is time order.
const tsLayout = "2006-01-02T15:04:05.000000Z"

// utcMicro returns t in UTC truncated to microseconds, the precision both
// dialects store.
func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ts encodes t for the dialect, in UTC at microsecond precision.
func (d dialect) ts(t time.Time) any {
	t = utcMicro(t)
	if d == dialectSQLite {
		return t.Format(tsLayout)
	}
	return t
}

// timeScanner scans a timestamp column of either dialect into a UTC time.
type timeScanner struct{ t *time.Time }

func (ts timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*ts.t = v.UTC()
	case string:
		return ts.parse(v)
	case []byte:
		return ts.parse(string(v))
	case nil:
		*ts.t = time.Time{}
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	return nil
}

func (ts timeScanner) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("sqlstore: parse time %q: %w", v, err)
	}
	*ts.t = t.UTC()
	return nil
}

// inTx runs fn in a write transaction and commits it. On SQLite the
// transaction starts with BEGIN IMMEDIATE on the single writer connection. On
// PostgreSQL (READ COMMITTED) it is retried a few times on a serialization
// failure or deadlock, which the statement order is meant to avoid anyway.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	const attempts = 3
	var err error
	for i := 0; i < attempts; i++ {
		err = s.tryTx(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		s.log.Debug("sqlstore: retrying transaction", "attempt", i+1, "err", err)
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports a transient PostgreSQL failure: serialization failure
// or deadlock detected.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// isUniqueViolation reports a unique or primary key constraint failure.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// conflict wraps err with meta.ErrConflict if it is a unique violation.
func conflict(err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: %w", meta.ErrConflict, err)
	}
	return err
}

// placeholders returns n comma-separated '?'.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// limitClause returns the LIMIT clause for page size n (none when n <= 0) and
// appends its argument.
func limitClause(n int, args []any) (string, []any) {
	if n <= 0 {
		return "", args
	}
	return " LIMIT ?", append(args, n)
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ensureRepo returns the id of repository name, creating the row if needed.
// On PostgreSQL a concurrent creator makes the INSERT wait for its commit;
// the following SELECT (a new snapshot under READ COMMITTED) then sees it.
func (s *Store) ensureRepo(ctx context.Context, tx execer, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.d.q(`SELECT id FROM repositories WHERE name = ?`), name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("find repository %s: %w", name, err)
	}
	err = tx.QueryRowContext(ctx, s.d.q(`INSERT INTO repositories (name, created_at) VALUES (?, ?)
		ON CONFLICT (name) DO NOTHING RETURNING id`), name, s.d.ts(s.now())).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT id FROM repositories WHERE name = ?`), name).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("create repository %s: %w", name, err)
	}
	return id, nil
}

// RepositoryExists reports whether repo has a row.
func (s *Store) RepositoryExists(ctx context.Context, repo string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM repositories WHERE name = ?`), repo).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlstore: repository %s exists: %w", repo, err)
	}
	return true, nil
}
