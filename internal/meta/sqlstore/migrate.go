package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds the versioned schema, one directory per dialect.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// migrate applies the pending migrations of the store's dialect with goose.
// On PostgreSQL a session advisory lock, keyed by the current schema, makes
// replicas starting together apply them once.
func (s *Store) migrate(ctx context.Context) error {
	p, err := s.migrations(ctx)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, r := range results {
		s.log.Info("sqlstore: applied migration", "source", r.Source.Path, "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// migrations returns the goose provider of the store's dialect.
func (s *Store) migrations(ctx context.Context) (*goose.Provider, error) {
	dir, gd := "migrations/sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.d == dialectPostgres {
		dir, gd = "migrations/postgres", goose.DialectPostgres
		var schema string
		if err := s.w.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: current schema: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("berth-migrate:" + schema))
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockID(int64(h.Sum64()>>1)),
			lock.WithLockTimeout(1, 300), // poll every second, up to 5 minutes
		)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	opts = append(opts, goose.WithLogger(goose.NopLogger()), goose.WithDisableGlobalRegistry(true))
	p, err := goose.NewProvider(gd, s.w, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return p, nil
}
