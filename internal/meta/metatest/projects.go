package metatest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// t0 is a fixed time, in UTC at microsecond precision, for records whose
// times the tests set.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// ignoreStamps ignores the timestamps the store sets itself.
var ignoreStamps = cmpopts.IgnoreFields(meta.Project{}, "ID", "CreatedAt", "UpdatedAt")

// project creates a project and returns it.
func project(t *testing.T, s meta.Store, name string, public bool) meta.Project {
	t.Helper()
	p, err := s.CreateProject(ctx(t), meta.Project{Name: name, Public: public})
	must(t, err)
	return p
}

func ptr[T any](v T) *T { return &v }

// names returns the names of projects ps.
func projectNames(ps []meta.Project) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func testProjects(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			before := time.Now().Add(-time.Second)
			in := meta.Project{Name: "team", Public: true, QuotaBytes: ptr(int64(1 << 40)),
				Metadata: map[string]string{"auto_scan": "true", "severity": "high"}}
			p, err := s.CreateProject(ctx(t), in)
			must(t, err)
			if p.ID == 0 || p.CreatedAt.Before(before) || p.CreatedAt.Location() != time.UTC || !p.UpdatedAt.Equal(p.CreatedAt) {
				t.Errorf("CreateProject = %+v: want an ID and recent, equal UTC timestamps", p)
			}
			diff(t, "CreateProject", in, p, ignoreStamps)
			got, err := s.GetProject(ctx(t), p.ID)
			must(t, err)
			diff(t, "GetProject", p, got)
			got, err = s.GetProjectByName(ctx(t), "team")
			must(t, err)
			diff(t, "GetProjectByName", p, got)
		}},
		{"Errors", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			p := project(t, s, "dup", false)
			for _, tc := range []struct {
				name string
				err  error
				want error
			}{
				{"CreateDuplicate", second(s.CreateProject(c, meta.Project{Name: "dup", Public: true})), meta.ErrConflict},
				{"CreateEmpty", second(s.CreateProject(c, meta.Project{})), meta.ErrInvalid},
				{"CreateSlash", second(s.CreateProject(c, meta.Project{Name: "a/b"})), meta.ErrInvalid},
				{"EnsureEmpty", third(s.EnsureProject(c, "", true)), meta.ErrInvalid},
				{"GetMissing", second(s.GetProject(c, p.ID+100)), meta.ErrNotFound},
				{"GetByNameMissing", second(s.GetProjectByName(c, "nope")), meta.ErrNotFound},
				{"UpdateMissing", second(s.UpdateProject(c, meta.Project{ID: p.ID + 100})), meta.ErrNotFound},
				{"DeleteMissing", s.DeleteProject(c, p.ID+100), meta.ErrNotFound},
			} {
				wantErr(t, tc.name, tc.err, tc.want)
			}
		}},
		{"Update", func(t *testing.T, s meta.Store) {
			p, err := s.CreateProject(ctx(t), meta.Project{Name: "p", QuotaBytes: ptr(int64(10))})
			must(t, err)
			for _, want := range []meta.Project{
				{ID: p.ID, Name: "p", Public: true, QuotaBytes: ptr(int64(-1)), Metadata: map[string]string{"k": "v"}},
				{ID: p.ID, Name: "p", Public: false},
			} {
				upd := want
				upd.Name = "renamed" // ignored: names are immutable
				got, err := s.UpdateProject(ctx(t), upd)
				must(t, err)
				diff(t, "UpdateProject", want, got, ignoreStamps)
				if got.UpdatedAt.Before(got.CreatedAt) {
					t.Errorf("UpdatedAt %v before CreatedAt %v", got.UpdatedAt, got.CreatedAt)
				}
				read, err := s.GetProject(ctx(t), p.ID)
				must(t, err)
				diff(t, "GetProject after update", got, read)
			}
		}},
		{"EnsureProject", func(t *testing.T, s meta.Store) {
			p, created, err := s.EnsureProject(ctx(t), meta.LibraryProject, true)
			must(t, err)
			if !created || !p.Public || p.Name != meta.LibraryProject {
				t.Errorf("first EnsureProject = %+v, created %v", p, created)
			}
			again, created, err := s.EnsureProject(ctx(t), meta.LibraryProject, false)
			must(t, err)
			if created {
				t.Error("second EnsureProject created the project again")
			}
			diff(t, "second EnsureProject (visibility untouched)", p, again)
		}},
		{"EnsureProjectConcurrent", func(t *testing.T, s meta.Store) {
			var created atomic.Int32
			var ids [workers]int64
			parallel(t, func(i int) error {
				p, ok, err := s.EnsureProject(ctx(t), "shared", true)
				if ok {
					created.Add(1)
				}
				ids[i] = p.ID
				return err
			})
			if n := created.Load(); n != 1 {
				t.Errorf("%d EnsureProject calls created the project, want 1", n)
			}
			for i, id := range ids {
				if id != ids[0] {
					t.Errorf("worker %d got project id %d, worker 0 got %d", i, id, ids[0])
				}
			}
		}},
		{"ListAndCount", testListProjects},
		{"DeleteRefusedWhileNonEmpty", testDeleteProject},
		{"DeleteCascades", testDeleteProjectCascades},
	})
}

func testListProjects(t *testing.T, s meta.Store) {
	c := ctx(t)
	u := user(t, s, "alice")
	for _, p := range []struct {
		name   string
		public bool
		member bool
	}{
		{"alpha", true, false}, {"beta", false, true}, {"delta", false, false},
		{"gamma", true, true}, {"library", true, false}, {"zeta-b", false, true},
	} {
		pr := project(t, s, p.name, p.public)
		if p.member {
			_, err := s.AddMember(c, meta.Member{ProjectID: pr.ID, UserID: u.ID, Role: meta.RoleGuest})
			must(t, err)
		}
	}
	for _, tc := range []struct {
		name string
		f    meta.ProjectFilter
		w    meta.Window
		want []string
		n    int64
	}{
		{"All", meta.ProjectFilter{}, meta.Window{}, []string{"alpha", "beta", "delta", "gamma", "library", "zeta-b"}, 6},
		{"FirstPage", meta.ProjectFilter{}, meta.Window{Limit: 4}, []string{"alpha", "beta", "delta", "gamma"}, 6},
		{"SecondPage", meta.ProjectFilter{}, meta.Window{Offset: 4, Limit: 4}, []string{"library", "zeta-b"}, 6},
		{"OffsetOnly", meta.ProjectFilter{}, meta.Window{Offset: 5}, []string{"zeta-b"}, 6},
		{"PastTheEnd", meta.ProjectFilter{}, meta.Window{Offset: 10, Limit: 4}, nil, 6},
		{"Name", meta.ProjectFilter{Name: "delta"}, meta.Window{}, []string{"delta"}, 1},
		{"NameContains", meta.ProjectFilter{NameContains: "ta"}, meta.Window{}, []string{"beta", "delta", "zeta-b"}, 3},
		{"NameContainsIsLiteral", meta.ProjectFilter{NameContains: "%"}, meta.Window{}, nil, 0},
		{"NameContainsIsCaseSensitive", meta.ProjectFilter{NameContains: "ALPHA"}, meta.Window{}, nil, 0},
		{"Public", meta.ProjectFilter{Public: ptr(true)}, meta.Window{}, []string{"alpha", "gamma", "library"}, 3},
		{"Private", meta.ProjectFilter{Public: ptr(false)}, meta.Window{}, []string{"beta", "delta", "zeta-b"}, 3},
		{"Member", meta.ProjectFilter{UserID: u.ID}, meta.Window{}, []string{"beta", "gamma", "zeta-b"}, 3},
		{"Visible", meta.ProjectFilter{UserID: u.ID, IncludePublic: true}, meta.Window{},
			[]string{"alpha", "beta", "gamma", "library", "zeta-b"}, 5},
		{"VisiblePage", meta.ProjectFilter{UserID: u.ID, IncludePublic: true}, meta.Window{Offset: 1, Limit: 2},
			[]string{"beta", "gamma"}, 5},
		{"VisibleContains", meta.ProjectFilter{UserID: u.ID, IncludePublic: true, NameContains: "l"}, meta.Window{},
			[]string{"alpha", "library"}, 2},
		{"Names", meta.ProjectFilter{Names: []string{"delta", "gamma", "nope"}}, meta.Window{}, []string{"delta", "gamma"}, 2},
		{"NoNames", meta.ProjectFilter{Names: []string{}}, meta.Window{}, nil, 0},
		{"ScopeAll", meta.ProjectFilter{Scope: &meta.ProjectScope{All: true}}, meta.Window{Limit: 1}, []string{"alpha"}, 6},
		{"ScopeNone", meta.ProjectFilter{Scope: &meta.ProjectScope{}}, meta.Window{}, nil, 0},
		{"ScopePublic", meta.ProjectFilter{Scope: &meta.ProjectScope{Public: true}}, meta.Window{}, []string{"alpha", "gamma", "library"}, 3},
		{"ScopeNames", meta.ProjectFilter{Scope: &meta.ProjectScope{Names: []string{"beta"}}}, meta.Window{}, []string{"beta"}, 1},
		{"ScopeBoth", meta.ProjectFilter{Scope: &meta.ProjectScope{Public: true, Names: []string{"zeta-b"}}, NameContains: "a"}, meta.Window{},
			[]string{"alpha", "gamma", "library", "zeta-b"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListProjects(c, tc.f, tc.w)
			must(t, err)
			diff(t, "ListProjects", tc.want, projectNames(got))
			n, err := s.CountProjects(c, tc.f)
			must(t, err)
			if n != tc.n {
				t.Errorf("CountProjects = %d, want %d", n, tc.n)
			}
		})
	}
}

func testDeleteProject(t *testing.T, s meta.Store) {
	c := ctx(t)
	team := project(t, s, "team", false)
	teamx := project(t, s, "teamx", false)
	// team/app holds a manifest; team/sub/deep and team (a name with no
	// '/') only blobs; teamx/app, in another project, a manifest.
	m := pushImage(t, s, "team/app", "v1", "v1")
	blob(t, s, "team/sub/deep", "only a blob")
	blob(t, s, "team", "bare repository name")
	other := pushImage(t, s, "teamx/app", "x1", "latest")

	wantErr(t, "DeleteProject with a manifest", s.DeleteProject(c, team.ID), meta.ErrConflict)
	if _, err := s.GetProject(c, team.ID); err != nil {
		t.Fatalf("refused delete removed the project: %v", err)
	}
	if _, err := s.ResolveTag(c, "team/app", "v1"); err != nil {
		t.Fatalf("refused delete touched the repository: %v", err)
	}

	must(t, s.DeleteManifest(c, "team/app", m.Digest))
	must(t, s.DeleteProject(c, team.ID))
	wantErr(t, "GetProject after delete", second(s.GetProject(c, team.ID)), meta.ErrNotFound)
	for _, repo := range []string{"team/app", "team/sub/deep", "team"} {
		ok, err := s.RepositoryExists(c, repo)
		must(t, err)
		if ok {
			t.Errorf("repository %s survived the deletion of its project", repo)
		}
	}
	wantErr(t, "blob link of a deleted repository", second(s.RepoBlob(c, "team/sub/deep", digest.FromString("only a blob"))), meta.ErrNotFound)
	if _, err := s.GetBlob(c, digest.FromString("only a blob")); err != nil {
		t.Errorf("the blob itself must stay for garbage collection: %v", err)
	}
	// The project with a name sharing the prefix is untouched.
	if _, err := s.GetProject(c, teamx.ID); err != nil {
		t.Errorf("teamx: %v", err)
	}
	if got, err := s.ResolveTag(c, "teamx/app", "latest"); err != nil || got.Digest != other.Digest {
		t.Errorf("teamx/app:latest = %v, %v", got.Digest, err)
	}
	// The name can be used again, and pushing into it works as before.
	project(t, s, "team", true)
	pushImage(t, s, "team/app", "v2", "v2")
}

func testDeleteProjectCascades(t *testing.T, s meta.Store) {
	c := ctx(t)
	p := project(t, s, "doomed", false)
	keep := project(t, s, "kept", false)
	u := user(t, s, "bob")
	mem, err := s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleDeveloper})
	must(t, err)
	_, err = s.AddMember(c, meta.Member{ProjectID: keep.ID, UserID: u.ID, Role: meta.RoleGuest})
	must(t, err)
	pr, err := s.CreateRobot(c, meta.Robot{Name: "robot$doomed+ci", Level: meta.RobotProject, ProjectID: p.ID,
		Permissions: []meta.RobotPermission{{Project: "doomed", Actions: []string{"pull"}}}})
	must(t, err)
	sys, err := s.CreateRobot(c, meta.Robot{Name: "robot$sys", Level: meta.RobotSystem,
		Permissions: []meta.RobotPermission{
			{Project: "doomed", Actions: []string{"push"}},
			{Project: "kept", Actions: []string{"pull"}},
			{Project: meta.AllProjects, Actions: []string{"list"}},
		}})
	must(t, err)

	must(t, s.DeleteProject(c, p.ID))
	wantErr(t, "GetMember", second(s.GetMember(c, p.ID, mem.ID)), meta.ErrNotFound)
	wantErr(t, "MemberRole", second(s.MemberRole(c, p.ID, u.ID)), meta.ErrNotFound)
	if r, err := s.MemberRole(c, keep.ID, u.ID); err != nil || r != meta.RoleGuest {
		t.Errorf("membership of another project: %v, %v", r, err)
	}
	if _, err := s.GetUser(c, u.ID); err != nil {
		t.Errorf("the member user went with the project: %v", err)
	}
	wantErr(t, "project robot", second(s.GetRobot(c, pr.ID)), meta.ErrNotFound)
	got, err := s.GetRobot(c, sys.ID)
	must(t, err)
	diff(t, "system robot permissions", []meta.RobotPermission{
		{Project: meta.AllProjects, Actions: []string{"list"}},
		{Project: "kept", Actions: []string{"pull"}},
	}, got.Permissions)
}

// second returns the error of a two-result call.
func second[T any](_ T, err error) error { return err }

// third returns the error of a three-result call.
func third[T, U any](_ T, _ U, err error) error { return err }
