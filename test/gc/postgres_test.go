package gc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresDSN returns a DSN for a schema of the test's own, dropped at
// cleanup; it skips the test when BERTH_TEST_POSTGRES_DSN is unset.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("BERTH_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("set BERTH_TEST_POSTGRES_DSN to run against PostgreSQL")
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	admin := stdlib.OpenDB(*cfg)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "berth_gc_" + hex.EncodeToString(rnd[:])
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
