package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// openAt opens a store whose schema is migrated only up to version, as a
// database written by an older Berth would be.
func openAt(t *testing.T, driver, dsn string, version int64) *Store {
	t.Helper()
	ctx := context.Background()
	s := &Store{log: testLogger(t), now: time.Now}
	var err error
	if driver == DriverSQLite {
		s.d = dialectSQLite
		err = s.openSQLite(ctx, dsn)
	} else {
		s.d = dialectPostgres
		err = s.openPostgres(ctx, dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	if err := s.prepare(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMigrationKeepsRepositories writes repositories with the version 1
// schema, upgrades, and checks that they belong to their project and keep
// working.
func TestMigrationKeepsRepositories(t *testing.T) {
	for _, b := range []struct {
		name, driver string
		dsn          func(t testing.TB) string
	}{
		{"sqlite", DriverSQLite, func(t testing.TB) string { return filepath.Join(t.TempDir(), "meta.db") }},
		{"postgres", DriverPostgres, postgresDSN},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := b.dsn(t)
			old := openAt(t, b.driver, dsn, 1)
			layer := digest.FromString("old layer")
			if _, _, err := old.CommitBlob(ctx, "team/app/api", meta.Blob{Digest: layer, Size: 9, Location: "l"}); err != nil {
				t.Fatal(err)
			}
			m := meta.Manifest{Repository: "team/app/api", Digest: digest.FromString("old"), MediaType: "x", Size: 3,
				Payload: []byte("old"), Blobs: []digest.Digest{layer}}
			// As version 1 code wrote it (today's PutManifest records tag
			// history, a table version 1 lacks).
			var repoID, id int64
			err := old.w.QueryRowContext(ctx, old.d.q(`SELECT id FROM repositories WHERE name = ?`), m.Repository).Scan(&repoID)
			if err == nil {
				err = old.w.QueryRowContext(ctx, old.d.q(`INSERT INTO manifests (repository_id, digest, media_type, size, payload, created_at)
					VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), repoID, m.Digest.String(), m.MediaType, m.Size, m.Payload, old.d.ts(time.Now())).Scan(&id)
			}
			if err == nil {
				_, err = old.w.ExecContext(ctx, old.d.q(`INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES (?, ?, ?, ?)`),
					repoID, "v1", id, old.d.ts(time.Now()))
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := old.Close(); err != nil {
				t.Fatal(err)
			}

			s, err := Open(ctx, b.driver, dsn, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var project string
			if err := s.r.QueryRowContext(ctx, s.d.q(`SELECT project FROM repositories WHERE name = ?`), "team/app/api").Scan(&project); err != nil {
				t.Fatal(err)
			}
			if project != "team" {
				t.Errorf("project of an existing repository = %q, want team", project)
			}
			if got, err := s.ResolveTag(ctx, "team/app/api", "v1"); err != nil || got.Digest != m.Digest {
				t.Errorf("ResolveTag after upgrade = %v, %v", got.Digest, err)
			}
			p, _, err := s.EnsureProject(ctx, "team", false)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteProject(ctx, p.ID); !errors.Is(err, meta.ErrConflict) {
				t.Errorf("DeleteProject of a project with an old repository = %v, want ErrConflict", err)
			}
			if err := s.RecordPull(ctx, "team/app/api", m.Digest, time.Now()); err != nil {
				t.Errorf("RecordPull on an old manifest: %v", err)
			}
		})
	}
}

// TestProjectColumn checks that the project column SQL derives from a
// repository name is meta.ProjectOf, on every backend.
func TestProjectColumn(t *testing.T) {
	names := []string{"alpine", "library/nginx", "team/app/api", "a/b/c/d", "é-x/ü", "trailing/", "x.y_z-1/w"}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := context.Background()
			for _, n := range names {
				if _, err := s.ensureRepo(ctx, s.w, n); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range names {
				var got string
				if err := s.r.QueryRowContext(ctx, s.d.q(`SELECT project FROM repositories WHERE name = ?`), n).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if want := meta.ProjectOf(n); got != want {
					t.Errorf("project of %q = %q, meta.ProjectOf = %q", n, got, want)
				}
			}
		})
	}
}

// TestSQLiteIdentityQueryPlans checks that the lookups on the request path
// are index searches and that listings never sort in a temporary B-tree.
// (UserMemberships sorts one user's memberships, a handful of rows.)
func TestSQLiteIdentityQueryPlans(t *testing.T) {
	s := newSQLite(t)
	for _, c := range []struct {
		name, query string
		args        []any
		scanOK      bool // a listing may walk an index in order
	}{
		{"MemberRole", `SELECT role FROM project_members WHERE project_id = ? AND user_id = ?`, []any{1, 2}, false},
		{"GetProjectByName", `SELECT ` + projectCols + ` FROM projects p WHERE p.name = ?`, []any{"p"}, false},
		{"GetUserByName", `SELECT ` + userCols + ` FROM users u WHERE u.username = ?`, []any{"u"}, false},
		{"GetRobotByName", fmt.Sprintf(robotFrom, `, rp.project, rp.actions`) + `
			LEFT JOIN robot_permissions rp ON rp.robot_id = r.id WHERE r.name = ? ORDER BY rp.project`, []any{"r"}, false},
		{"GetAccessTokenByHash", `SELECT ` + tokenCols + ` FROM access_tokens t WHERE t.token_hash = ?`, []any{"h"}, false},
		{"RecordPull", s.d.recordPullQuery(), []any{1, "t", "d", "r"}, false},
		{"GetArtifactStats", `SELECT a.pull_count, a.last_pulled_at FROM repositories r
			JOIN artifact_stats a ON a.repository_id = r.id AND a.digest = ? WHERE r.name = ?`, []any{"d", "r"}, false},
		{"ProjectBusy", `SELECT EXISTS (SELECT 1 FROM repositories r
			JOIN manifests m ON m.repository_id = r.id WHERE r.project = ?)`, []any{"p"}, false},
		{"ListProjects", `SELECT ` + projectCols + ` FROM projects p ORDER BY p.name LIMIT ? OFFSET ?`, []any{10, 0}, true},
		{"ListAudit", `SELECT ` + auditCols + ` FROM audit_log a ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{10}, true},
		{"ListAuditByProject", `SELECT ` + auditCols + ` FROM audit_log a WHERE a.project = ? AND a.occurred_at >= ?
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"p", "t", 10}, false},
		{"ListAuditByUser", `SELECT ` + auditCols + ` FROM audit_log a WHERE a.username = ?
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"u", 10}, false},
		{"ListAuditByOperation", `SELECT ` + auditCols + ` FROM audit_log a WHERE a.operation = ?
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"push", 10}, false},
		{"ListAuditByResource", `SELECT ` + auditCols + ` FROM audit_log a WHERE a.resource = ?
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"r", 10}, false},
		{"ListAuditByResourceType", `SELECT ` + auditCols + ` FROM audit_log a WHERE a.resource_type = ?
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"artifact", 10}, false},
		{"ListAuditByUsernamePart", `SELECT ` + auditCols + ` FROM audit_log a WHERE ` + s.d.contains("a.username") + `
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"u", 10}, true},
		// Events of several projects (a non-admin's audit log) search
		// audit_log_project once per project and sort what they find:
		// checked apart below.
		{"ListAuditKeyset", `SELECT ` + auditCols + ` FROM audit_log a WHERE (a.occurred_at, a.id) < (?, ?)
			ORDER BY a.occurred_at DESC, a.id DESC LIMIT ?`, []any{"t", 5, 10}, false},
	} {
		plan := queryPlan(t, s, c.name, c.query, c.args...)
		for _, step := range plan {
			scan := strings.HasPrefix(step, "SCAN") && step != "SCAN CONSTANT ROW" &&
				!(c.scanOK && strings.Contains(step, "USING"))
			if scan || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s plan has %q:\n%s", c.name, step, strings.Join(plan, "\n"))
			}
		}
	}
}

// TestSQLiteProjectsFilterPlans checks that filters by a list of projects
// (a non-admin's audit log and robot list) search the project index rather
// than scan the table.
func TestSQLiteProjectsFilterPlans(t *testing.T) {
	s := newSQLite(t)
	audit := s.auditWhere(meta.AuditFilter{Projects: []string{"a", "b"}, UsernameContains: "x"})
	robots := s.robotWhere(meta.RobotFilter{Level: meta.RobotProject, ProjectIDs: []int64{1, 2}})
	for _, c := range []struct {
		name, query, index string
		args               []any
	}{
		{"ListAuditByProjects", `SELECT ` + auditCols + ` FROM audit_log a` + audit.String() +
			` ORDER BY a.occurred_at DESC, a.id DESC LIMIT 10`, "audit_log_project", audit.args},
		{"ListRobotsByProjects", fmt.Sprintf(robotFrom, "") + robots.String() + ` ORDER BY r.name LIMIT 10`,
			"robots_project", robots.args},
	} {
		plan := queryPlan(t, s, c.name, c.query, c.args...)
		found := false
		for _, step := range plan {
			found = found || strings.Contains(step, "USING INDEX "+c.index) || strings.Contains(step, "USING COVERING INDEX "+c.index)
			if strings.HasPrefix(step, "SCAN") {
				t.Errorf("%s plan has %q:\n%s", c.name, step, strings.Join(plan, "\n"))
			}
		}
		if !found {
			t.Errorf("%s does not use %s:\n%s", c.name, c.index, strings.Join(plan, "\n"))
		}
	}
}

// queryPlan returns the steps of SQLite's plan for query.
func queryPlan(t *testing.T, s *Store, name, query string, args ...any) []string {
	t.Helper()
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return plan
}
