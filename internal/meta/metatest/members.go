package metatest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-oci/berth/internal/meta"
)

func entityNames(ms []meta.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.EntityName)
	}
	return out
}

func testMembers(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			before := time.Now().Add(-time.Second)
			p, u := project(t, s, "proj", false), user(t, s, "dev")
			m, err := s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleDeveloper})
			must(t, err)
			want := meta.Member{ProjectID: p.ID, ProjectName: "proj", Kind: meta.MemberUser, UserID: u.ID,
				EntityName: "dev", Role: meta.RoleDeveloper}
			diff(t, "AddMember", want, m, cmpopts.IgnoreFields(meta.Member{}, "ID", "CreatedAt", "UpdatedAt"))
			if m.ID == 0 || m.CreatedAt.Before(before) {
				t.Errorf("AddMember = %+v: want an ID and a recent CreatedAt", m)
			}
			got, err := s.GetMember(c, p.ID, m.ID)
			must(t, err)
			diff(t, "GetMember", m, got)
			role, err := s.MemberRole(c, p.ID, u.ID)
			must(t, err)
			if role != meta.RoleDeveloper {
				t.Errorf("MemberRole = %q", role)
			}
			must(t, s.UpdateMemberRole(c, p.ID, m.ID, meta.RoleMaintainer))
			if role, err := s.MemberRole(c, p.ID, u.ID); err != nil || role != meta.RoleMaintainer {
				t.Errorf("MemberRole after update = %q, %v", role, err)
			}
			must(t, s.RemoveMember(c, p.ID, m.ID))
			wantErr(t, "MemberRole after remove", second(s.MemberRole(c, p.ID, u.ID)), meta.ErrNotFound)
			wantErr(t, "RemoveMember twice", s.RemoveMember(c, p.ID, m.ID), meta.ErrNotFound)
		}},
		{"Errors", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			p, other, u := project(t, s, "proj", false), project(t, s, "other", false), user(t, s, "u")
			m, err := s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleGuest})
			must(t, err)
			for _, tc := range []struct {
				name      string
				err, want error
			}{
				{"Duplicate", second(s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleDeveloper})), meta.ErrConflict},
				{"MissingProject", second(s.AddMember(c, meta.Member{ProjectID: p.ID + 100, UserID: u.ID, Role: meta.RoleGuest})), meta.ErrNotFound},
				{"MissingUser", second(s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID + 100, Role: meta.RoleGuest})), meta.ErrNotFound},
				{"BadRole", second(s.AddMember(c, meta.Member{ProjectID: other.ID, UserID: u.ID, Role: "owner"})), meta.ErrInvalid},
				{"GroupNotYet", second(s.AddMember(c, meta.Member{ProjectID: other.ID, Kind: meta.MemberGroup, Role: meta.RoleGuest})), meta.ErrInvalid},
				{"GetWrongProject", second(s.GetMember(c, other.ID, m.ID)), meta.ErrNotFound},
				{"RoleNotMember", second(s.MemberRole(c, other.ID, u.ID)), meta.ErrNotFound},
				{"UpdateWrongProject", s.UpdateMemberRole(c, other.ID, m.ID, meta.RoleGuest), meta.ErrNotFound},
				{"UpdateBadRole", s.UpdateMemberRole(c, p.ID, m.ID, "root"), meta.ErrInvalid},
				{"RemoveWrongProject", s.RemoveMember(c, other.ID, m.ID), meta.ErrNotFound},
			} {
				wantErr(t, tc.name, tc.err, tc.want)
			}
			if role, err := s.MemberRole(c, p.ID, u.ID); err != nil || role != meta.RoleGuest {
				t.Errorf("failed calls changed the membership: %q, %v", role, err)
			}
		}},
		{"ListAndCount", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			p, q := project(t, s, "p", false), project(t, s, "q", false)
			roles := map[string]meta.Role{"erin": meta.RoleProjectAdmin, "bob": meta.RoleDeveloper,
				"dan": meta.RoleGuest, "ann": meta.RoleDeveloper, "cyd": meta.RoleLimitedGuest}
			var ann meta.User
			for _, name := range []string{"erin", "bob", "dan", "ann", "cyd"} {
				u := user(t, s, name)
				if name == "ann" {
					ann = u
				}
				_, err := s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: roles[name]})
				must(t, err)
			}
			_, err := s.AddMember(c, meta.Member{ProjectID: q.ID, UserID: ann.ID, Role: meta.RoleProjectAdmin})
			must(t, err)
			for _, tc := range []struct {
				name string
				f    meta.MemberFilter
				w    meta.Window
				want []string
			}{
				{"All", meta.MemberFilter{}, meta.Window{}, []string{"ann", "bob", "cyd", "dan", "erin"}},
				{"Page", meta.MemberFilter{}, meta.Window{Offset: 1, Limit: 3}, []string{"bob", "cyd", "dan"}},
				{"Contains", meta.MemberFilter{EntityNameContains: "n"}, meta.Window{}, []string{"ann", "dan", "erin"}},
				{"Role", meta.MemberFilter{Role: meta.RoleDeveloper}, meta.Window{}, []string{"ann", "bob"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.ListMembers(c, p.ID, tc.f, tc.w)
					must(t, err)
					diff(t, "ListMembers", tc.want, entityNames(got))
					all, err := s.ListMembers(c, p.ID, tc.f, meta.Window{})
					must(t, err)
					n, err := s.CountMembers(c, p.ID, tc.f)
					must(t, err)
					if n != int64(len(all)) {
						t.Errorf("CountMembers = %d, want %d", n, len(all))
					}
				})
			}
			none, err := s.ListMembers(c, q.ID+100, meta.MemberFilter{}, meta.Window{})
			must(t, err)
			if len(none) != 0 {
				t.Errorf("members of a missing project: %+v", none)
			}
			ms, err := s.UserMemberships(c, ann.ID)
			must(t, err)
			var got []string
			for _, m := range ms {
				got = append(got, m.ProjectName+"="+string(m.Role))
			}
			diff(t, "UserMemberships", []string{"p=developer", "q=projectAdmin"}, got)
		}},
	})
}
