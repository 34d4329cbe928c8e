package metatest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-oci/berth/internal/meta"
)

var ignoreRobotStamps = cmpopts.IgnoreFields(meta.Robot{}, "ID", "CreatedAt", "UpdatedAt")

func robotNames(rs []meta.Robot) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func testRobots(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			before := time.Now().Add(-time.Second)
			p := project(t, s, "proj", false)
			for _, in := range []meta.Robot{
				{Name: "robot$ci", Level: meta.RobotSystem, SecretHash: "$argon2id$s", Description: "CI",
					ExpiresAt: t0, CreatedBy: "admin",
					// Stored and returned in project order.
					Permissions: []meta.RobotPermission{
						{Project: "proj", Actions: []string{"pull", "push"}},
						{Project: meta.AllProjects, Actions: []string{"list"}},
						{Project: "library", Actions: []string{"repository:pull", "repository:delete"}},
					}},
				{Name: "robot$proj+bot", Level: meta.RobotProject, ProjectID: p.ID, ProjectName: "proj", Disabled: true,
					Permissions: []meta.RobotPermission{{Project: "proj", Actions: []string{"pull"}}}},
				{Name: "robot$bare", Level: meta.RobotSystem},
			} {
				r, err := s.CreateRobot(c, in)
				must(t, err)
				if r.ID == 0 || r.CreatedAt.Before(before) {
					t.Errorf("CreateRobot = %+v: want an ID and a recent CreatedAt", r)
				}
				diff(t, "CreateRobot", in, r, ignoreRobotStamps, sortPermissions)
				if len(r.Permissions) > 1 && r.Permissions[0].Project != meta.AllProjects {
					t.Errorf("permissions not in project order: %+v", r.Permissions)
				}
				got, err := s.GetRobot(c, r.ID)
				must(t, err)
				diff(t, "GetRobot", r, got)
				got, err = s.GetRobotByName(c, in.Name)
				must(t, err)
				diff(t, "GetRobotByName", r, got)
				if !got.ExpiresAt.Equal(in.ExpiresAt) {
					t.Errorf("ExpiresAt = %v, want exactly %v", got.ExpiresAt, in.ExpiresAt)
				}
			}
		}},
		{"Errors", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			p := project(t, s, "proj", false)
			r, err := s.CreateRobot(c, meta.Robot{Name: "robot$taken", Level: meta.RobotSystem})
			must(t, err)
			missing := r.ID + 100
			dupPerm := []meta.RobotPermission{{Project: "proj", Actions: []string{"pull"}}, {Project: "proj", Actions: []string{"push"}}}
			for _, tc := range []struct {
				name      string
				err, want error
			}{
				{"DuplicateName", second(s.CreateRobot(c, meta.Robot{Name: "robot$taken", Level: meta.RobotSystem})), meta.ErrConflict},
				{"DuplicatePermission", second(s.CreateRobot(c, meta.Robot{Name: "robot$dup", Level: meta.RobotSystem, Permissions: dupPerm})), meta.ErrConflict},
				{"MissingProject", second(s.CreateRobot(c, meta.Robot{Name: "robot$x+y", Level: meta.RobotProject, ProjectID: p.ID + 100})), meta.ErrNotFound},
				{"EmptyName", second(s.CreateRobot(c, meta.Robot{Level: meta.RobotSystem})), meta.ErrInvalid},
				{"BadLevel", second(s.CreateRobot(c, meta.Robot{Name: "robot$l", Level: "global"})), meta.ErrInvalid},
				{"SystemWithProject", second(s.CreateRobot(c, meta.Robot{Name: "robot$s", Level: meta.RobotSystem, ProjectID: p.ID})), meta.ErrInvalid},
				{"ProjectWithout", second(s.CreateRobot(c, meta.Robot{Name: "robot$p", Level: meta.RobotProject})), meta.ErrInvalid},
				{"EmptyPermissionProject", second(s.CreateRobot(c, meta.Robot{Name: "robot$e", Level: meta.RobotSystem,
					Permissions: []meta.RobotPermission{{Actions: []string{"pull"}}}})), meta.ErrInvalid},
				{"Get", second(s.GetRobot(c, missing)), meta.ErrNotFound},
				{"GetByName", second(s.GetRobotByName(c, "robot$none")), meta.ErrNotFound},
				{"Update", second(s.UpdateRobot(c, meta.Robot{ID: missing})), meta.ErrNotFound},
				{"UpdateDuplicatePermission", second(s.UpdateRobot(c, meta.Robot{ID: r.ID, Permissions: dupPerm})), meta.ErrConflict},
				{"SetSecret", s.SetRobotSecret(c, missing, "h"), meta.ErrNotFound},
				{"Delete", s.DeleteRobot(c, missing), meta.ErrNotFound},
			} {
				wantErr(t, tc.name, tc.err, tc.want)
			}
			// A failed create stores nothing (one transaction).
			wantErr(t, "robot whose permissions failed", second(s.GetRobotByName(c, "robot$dup")), meta.ErrNotFound)
			got, err := s.GetRobot(c, r.ID)
			must(t, err)
			if len(got.Permissions) != 0 {
				t.Errorf("a failed update changed the permissions: %+v", got.Permissions)
			}
		}},
		{"UpdateSecretDelete", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			r, err := s.CreateRobot(c, meta.Robot{Name: "robot$r", Level: meta.RobotSystem, SecretHash: "old",
				ExpiresAt: t0, CreatedBy: "admin",
				Permissions: []meta.RobotPermission{{Project: "a", Actions: []string{"pull"}}}})
			must(t, err)
			upd := r
			upd.Description, upd.Disabled, upd.ExpiresAt = "rotated", true, time.Time{}
			upd.Permissions = []meta.RobotPermission{{Project: "b", Actions: []string{"push", "pull"}}, {Project: "c", Actions: []string{}}}
			upd.Name, upd.SecretHash, upd.CreatedBy, upd.ProjectName = "robot$renamed", "ignored", "ignored", "x" // not updatable
			got, err := s.UpdateRobot(c, upd)
			must(t, err)
			want := r
			want.Description, want.Disabled, want.ExpiresAt = "rotated", true, time.Time{}
			want.Permissions = upd.Permissions
			diff(t, "UpdateRobot", want, got, cmpopts.IgnoreFields(meta.Robot{}, "UpdatedAt"))
			read, err := s.GetRobot(c, r.ID)
			must(t, err)
			diff(t, "GetRobot after update", got, read)

			must(t, s.SetRobotSecret(c, r.ID, "new"))
			if read, err = s.GetRobot(c, r.ID); err != nil || read.SecretHash != "new" {
				t.Errorf("SecretHash after SetRobotSecret = %q, %v", read.SecretHash, err)
			}
			must(t, s.DeleteRobot(c, r.ID))
			wantErr(t, "GetRobot after delete", second(s.GetRobot(c, r.ID)), meta.ErrNotFound)
			// Its permissions went with it: a robot of the same name starts clean.
			again, err := s.CreateRobot(c, meta.Robot{Name: "robot$r", Level: meta.RobotSystem})
			must(t, err)
			if len(again.Permissions) != 0 {
				t.Errorf("new robot inherited permissions: %+v", again.Permissions)
			}
		}},
		{"ListAndCount", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			p, q := project(t, s, "p", false), project(t, s, "q", false)
			for _, r := range []meta.Robot{
				{Name: "robot$sys-b", Level: meta.RobotSystem, Permissions: []meta.RobotPermission{{Project: "*", Actions: []string{"pull"}}}},
				{Name: "robot$sys-a", Level: meta.RobotSystem},
				{Name: "robot$p+ci", Level: meta.RobotProject, ProjectID: p.ID,
					Permissions: []meta.RobotPermission{{Project: "p", Actions: []string{"push"}}}},
				{Name: "robot$p+deploy", Level: meta.RobotProject, ProjectID: p.ID},
				{Name: "robot$q+ci", Level: meta.RobotProject, ProjectID: q.ID},
			} {
				_, err := s.CreateRobot(c, r)
				must(t, err)
			}
			for _, tc := range []struct {
				name string
				f    meta.RobotFilter
				w    meta.Window
				want []string
			}{
				{"All", meta.RobotFilter{}, meta.Window{}, []string{"robot$p+ci", "robot$p+deploy", "robot$q+ci", "robot$sys-a", "robot$sys-b"}},
				{"Page", meta.RobotFilter{}, meta.Window{Offset: 3, Limit: 10}, []string{"robot$sys-a", "robot$sys-b"}},
				{"System", meta.RobotFilter{Level: meta.RobotSystem}, meta.Window{}, []string{"robot$sys-a", "robot$sys-b"}},
				{"Project", meta.RobotFilter{Level: meta.RobotProject, ProjectID: p.ID}, meta.Window{}, []string{"robot$p+ci", "robot$p+deploy"}},
				{"Contains", meta.RobotFilter{NameContains: "ci"}, meta.Window{}, []string{"robot$p+ci", "robot$q+ci"}},
				{"ProjectIDs", meta.RobotFilter{ProjectIDs: []int64{p.ID, q.ID}}, meta.Window{}, []string{"robot$p+ci", "robot$p+deploy", "robot$q+ci"}},
				{"ProjectIDsOne", meta.RobotFilter{ProjectIDs: []int64{q.ID}}, meta.Window{}, []string{"robot$q+ci"}},
				{"ProjectIDsUnknown", meta.RobotFilter{ProjectIDs: []int64{q.ID + 1000}}, meta.Window{}, nil},
				{"ProjectIDsEmpty", meta.RobotFilter{ProjectIDs: []int64{}}, meta.Window{}, nil},
				{"ProjectIDsPage", meta.RobotFilter{ProjectIDs: []int64{q.ID, p.ID}}, meta.Window{Offset: 1, Limit: 1}, []string{"robot$p+deploy"}},
				{"ProjectIDsCombined", meta.RobotFilter{Level: meta.RobotProject, ProjectIDs: []int64{p.ID, q.ID}, NameContains: "ci"}, meta.Window{}, []string{"robot$p+ci", "robot$q+ci"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.ListRobots(c, tc.f, tc.w)
					must(t, err)
					diff(t, "ListRobots", tc.want, robotNames(got))
					for _, r := range got {
						one, err := s.GetRobot(c, r.ID)
						must(t, err)
						diff(t, "listed robot "+r.Name, one, r)
					}
					all, err := s.ListRobots(c, tc.f, meta.Window{})
					must(t, err)
					n, err := s.CountRobots(c, tc.f)
					must(t, err)
					if n != int64(len(all)) {
						t.Errorf("CountRobots = %d, want %d", n, len(all))
					}
				})
			}
		}},
	})
}

// sortPermissions compares permission lists as sets of projects.
var sortPermissions = cmpopts.SortSlices(func(a, b meta.RobotPermission) bool { return a.Project < b.Project })
