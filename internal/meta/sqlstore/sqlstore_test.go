package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/metatest"
)

// postgresEnv names the variable holding a PostgreSQL URL for the tests,
// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresEnv = "BERTH_TEST_POSTGRES_DSN"

// backends are the dialects every test runs against.
var backends = []struct {
	name string
	open func(t testing.TB) *Store
}{
	{"sqlite", newSQLite},
	{"postgres", newPostgres},
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newSQLite opens a store on a fresh file under t.TempDir().
func newSQLite(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), DriverSQLite, filepath.Join(t.TempDir(), "db", "meta.db"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// newPostgres opens a store in a schema of its own (see postgresDSN). It
// skips the test when BERTH_TEST_POSTGRES_DSN is unset.
func newPostgres(t testing.TB) *Store {
	t.Helper()
	dsn := postgresDSN(t)
	s, err := Open(context.Background(), DriverPostgres, dsn, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs before the schema is dropped
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// postgresDSN returns a DSN for a schema of the test's own, created for the
// test and dropped at cleanup, so that parallel tests and test runs never
// collide. It skips the test when BERTH_TEST_POSTGRES_DSN is unset.
func postgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", postgresEnv)
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	admin := stdlib.OpenDB(*cfg)
	admin.SetMaxOpenConns(1)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "berth_test_" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		t.Fatalf("%s must be a URL (postgres://...): %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Test stores need not survive a crash of the server: skipping the WAL
	// flush at commit makes the suite several times faster on slow disks.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.open(t) // skip early if the backend is not configured
			metatest.Run(t, func(t *testing.T) meta.Store { return b.open(t) })
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct{ driver, dsn string }{
		{"mysql", "x"},
		{DriverSQLite, ""},
		{DriverSQLite, filepath.Join(t.TempDir(), "a?b.db")},
		{DriverSQLite, "file:meta.db"},
		{DriverPostgres, "postgres://%zz"},
	}
	for _, c := range cases {
		if s, err := Open(ctx, c.driver, c.dsn, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q, %q) succeeded", c.driver, c.dsn)
		}
	}
}

func TestSQLiteReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "meta.db")
	s, err := Open(ctx, DriverSQLite, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromString("layer")
	if _, _, err := s.CommitBlob(ctx, "r", meta.Blob{Digest: d, Size: 5, Location: "l"}); err != nil {
		t.Fatal(err)
	}
	m := meta.Manifest{Repository: "r", Digest: digest.FromString("m"), MediaType: "x", Size: 1, Payload: []byte("m"), Blobs: []digest.Digest{d}}
	if err := s.PutManifest(ctx, m, "latest"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, DriverSQLite, path, nil) // migrations already applied
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ResolveTag(ctx, "r", "latest")
	if err != nil || got.Digest != m.Digest {
		t.Fatalf("after reopen: ResolveTag = %v, %v", got.Digest, err)
	}
	var mode, sync, fk string
	row := s.w.QueryRowContext(ctx, "SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys")
	if err := row.Scan(&mode, &sync, &fk); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != "2" || fk != "1" {
		t.Errorf("journal_mode=%s synchronous=%s foreign_keys=%s, want wal 2 (FULL) 1", mode, sync, fk)
	}
	// Read connections cannot write.
	if _, err := s.r.ExecContext(ctx, "DELETE FROM tags"); err == nil {
		t.Error("a read connection accepted a write")
	}
}

// TestSQLiteQueryPlans checks that the hot reads and listings are index
// lookups, never table scans or temporary sorts.
func TestSQLiteQueryPlans(t *testing.T) {
	s := newSQLite(t)
	for _, c := range []struct {
		name, query string
		args        []any
	}{
		{"GetManifest", qGetManifest, []any{"d", "r"}},
		{"ResolveTag", qResolveTag, []any{"t", "r"}},
		{"RepoBlob", qRepoBlob, []any{"d", "r"}},
		{"ListTags", qListTags + " LIMIT ?", []any{1, "a", 10}},
		{"ListRepositories", qListRepositories + " LIMIT ?", []any{"a", 10}},
	} {
		name := c.name
		plan := queryPlan(t, s, name, c.query, c.args...)
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN") || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s plan has %q:\n%s", name, step, strings.Join(plan, "\n"))
			}
		}
	}
}

// TestListingSpeed checks that listing 5,000 tags or repositories stays well
// under 50 ms on every backend.
func TestListingSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			seed(t, s, 5000)
			ctx := context.Background()
			for name, list := range map[string]func() ([]string, error){
				"ListTags":         func() ([]string, error) { return s.ListTags(ctx, "bench/tags", meta.Page{}) },
				"ListRepositories": func() ([]string, error) { return s.ListRepositories(ctx, meta.Page{}) },
			} {
				best := time.Hour
				for range 5 {
					start := time.Now()
					got, err := list()
					if err != nil {
						t.Fatal(err)
					}
					if len(got) < 5000 {
						t.Fatalf("%s: %d entries", name, len(got))
					}
					best = min(best, time.Since(start))
				}
				t.Logf("%s of 5000: %v", name, best)
				if limit := 50 * time.Millisecond; best > limit && !raceEnabled {
					t.Errorf("%s of 5000 took %v, want < %v", name, best, limit)
				}
			}
		})
	}
}

// seed fills s, in one transaction, with n tags on one manifest of
// repository bench/tags and n repositories bench/r%05d holding a manifest.
func seed(t testing.TB, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	layer := digest.FromString("bench layer")
	if _, _, err := s.CommitBlob(ctx, "bench/tags", meta.Blob{Digest: layer, Size: 11, Location: "l"}); err != nil {
		t.Fatal(err)
	}
	m := meta.Manifest{Repository: "bench/tags", Digest: digest.FromString("bench manifest"),
		MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 14, Payload: []byte("bench manifest"),
		Blobs: []digest.Digest{layer}, Annotations: map[string]string{"k": "v"}}
	if err := s.PutManifest(ctx, m, "latest"); err != nil {
		t.Fatal(err)
	}
	now := s.d.ts(time.Now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var repoID, manifestID int64
		if err := tx.QueryRowContext(ctx, s.d.q(`SELECT r.id, m.id FROM repositories r JOIN manifests m ON m.repository_id = r.id
			WHERE r.name = ?`), "bench/tags").Scan(&repoID, &manifestID); err != nil {
			return err
		}
		for start := 0; start < n; start += batch / 4 {
			var tagVals, repoVals []string
			var tagArgs, repoArgs []any
			for i := start; i < min(start+batch/4, n); i++ {
				tagVals = append(tagVals, "(?, ?, ?, ?)")
				tagArgs = append(tagArgs, repoID, fmt.Sprintf("v%d.%d.%d", i%7, i, i%13), manifestID, now)
				repoVals = append(repoVals, "(?, ?)")
				repoArgs = append(repoArgs, fmt.Sprintf("bench/r%05d", i), now)
			}
			if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES `+
				strings.Join(tagVals, ",")), tagArgs...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO repositories (name, created_at) VALUES `+
				strings.Join(repoVals, ",")), repoArgs...); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO manifests (repository_id, digest, media_type, size, payload, created_at)
			SELECT id, ?, 'application/vnd.oci.image.manifest.v1+json', 1, ?, created_at FROM repositories WHERE name LIKE 'bench/r%'`),
			digest.FromString("x").String(), []byte("x"))
		return err
	})
	seeded(t, s, "seed", err)
}

func BenchmarkResolveTag(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			seed(b, s, 5000)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.ResolveTag(ctx, "bench/tags", "v6.1000.12"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkListTags5000(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			seed(b, s, 5000)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				tags, err := s.ListTags(ctx, "bench/tags", meta.Page{})
				if err != nil || len(tags) != 5001 {
					b.Fatalf("ListTags = %d tags, %v", len(tags), err)
				}
			}
		})
	}
}

func BenchmarkListRepositories5000(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			seed(b, s, 5000)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				repos, err := s.ListRepositories(ctx, meta.Page{})
				if err != nil || len(repos) != 5001 {
					b.Fatalf("ListRepositories = %d repositories, %v", len(repos), err)
				}
			}
		})
	}
}

func BenchmarkPutManifest(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			layer := digest.FromString("layer")
			if _, _, err := s.CommitBlob(ctx, "r", meta.Blob{Digest: layer, Size: 5, Location: "l"}); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				p := fmt.Appendf(nil, "manifest %d", i)
				m := meta.Manifest{Repository: "r", Digest: digest.FromBytes(p), MediaType: "x", Size: int64(len(p)),
					Payload: p, Blobs: []digest.Digest{layer}}
				if err := s.PutManifest(ctx, m, fmt.Sprintf("t%d", i%100)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
