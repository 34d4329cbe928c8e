// Package sqlstore implements meta.Store over SQLite (modernc.org/sqlite,
// pure Go) and PostgreSQL (pgx through database/sql). It holds the only SQL in
// the tree: the same code serves both databases, with the few dialect
// differences (placeholders, timestamp encoding, row locks, column types)
// confined to the dialect type and to one migrations directory per dialect.
//
// The schema is versioned with embedded goose migrations
// (migrations/sqlite, migrations/postgres) applied by Open. Lookups on the
// hot path (ResolveTag, GetManifest, RepoBlob) are one indexed query each;
// listings are keyset-paginated in byte order over an index.
//
// Identity and access (projects, users, memberships, robots, access
// tokens, the audit log, pull statistics) live in one file per aggregate.
// A repository belongs to the project named by the first component of its
// name: a column generated from the name (migration 00002), indexed with
// the name, so nothing on the push path changes and nothing can disagree.
// Unique violations are meta.ErrConflict, foreign key failures on insert
// meta.ErrNotFound, CHECK failures meta.ErrInvalid.
//
// Durability: SQLite runs in WAL mode with synchronous=FULL and foreign keys
// on, with one writer connection (BEGIN IMMEDIATE) and a pool of read-only
// connections; PostgreSQL runs at READ COMMITTED and relies on ON CONFLICT
// and FOR SHARE row locks so that concurrent writers of the same rows do not
// fail spuriously.
package sqlstore
