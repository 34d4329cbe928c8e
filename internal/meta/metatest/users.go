package metatest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-oci/berth/internal/meta"
)

// user creates a local user and returns it.
func user(t *testing.T, s meta.Store, name string) meta.User {
	t.Helper()
	u, err := s.CreateUser(ctx(t), meta.User{Username: name, Email: name + "@example.com", PasswordHash: "$argon2id$" + name})
	must(t, err)
	return u
}

func usernames(us []meta.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Username)
	}
	return out
}

var ignoreUserStamps = cmpopts.IgnoreFields(meta.User{}, "ID", "CreatedAt", "UpdatedAt")

func testUsers(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			before := time.Now().Add(-time.Second)
			for _, in := range []meta.User{
				{Username: "admin", Email: "admin@example.com", Realname: "Admin", Comment: "first", PasswordHash: "$argon2id$v=19$x",
					Sysadmin: true, Source: meta.SourceLocal},
				{Username: "ldap-user", Source: meta.SourceLDAP, Disabled: true, LastLoginAt: t0},
			} {
				u, err := s.CreateUser(ctx(t), in)
				must(t, err)
				if u.ID == 0 || u.CreatedAt.Before(before) || u.CreatedAt.Location() != time.UTC {
					t.Errorf("CreateUser = %+v: want an ID and a recent UTC CreatedAt", u)
				}
				diff(t, "CreateUser", in, u, ignoreUserStamps)
				got, err := s.GetUser(ctx(t), u.ID)
				must(t, err)
				diff(t, "GetUser", u, got)
				got, err = s.GetUserByName(ctx(t), in.Username)
				must(t, err)
				diff(t, "GetUserByName", u, got)
			}
		}},
		{"DefaultSource", func(t *testing.T, s meta.Store) {
			u, err := s.CreateUser(ctx(t), meta.User{Username: "u"})
			must(t, err)
			if u.Source != meta.SourceLocal {
				t.Errorf("Source = %q, want %q", u.Source, meta.SourceLocal)
			}
		}},
		{"Errors", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			u := user(t, s, "taken")
			missing := u.ID + 100
			for _, tc := range []struct {
				name      string
				err, want error
			}{
				{"CreateDuplicate", second(s.CreateUser(c, meta.User{Username: "taken"})), meta.ErrConflict},
				{"CreateEmpty", second(s.CreateUser(c, meta.User{})), meta.ErrInvalid},
				{"CreateBadSource", second(s.CreateUser(c, meta.User{Username: "x", Source: "kerberos"})), meta.ErrInvalid},
				{"Get", second(s.GetUser(c, missing)), meta.ErrNotFound},
				{"GetByName", second(s.GetUserByName(c, "Taken")), meta.ErrNotFound}, // byte-exact
				{"Update", second(s.UpdateUser(c, meta.User{ID: missing})), meta.ErrNotFound},
				{"SetPassword", s.SetUserPassword(c, missing, "h"), meta.ErrNotFound},
				{"RecordLogin", s.RecordLogin(c, missing, t0), meta.ErrNotFound},
				{"Delete", s.DeleteUser(c, missing), meta.ErrNotFound},
			} {
				wantErr(t, tc.name, tc.err, tc.want)
			}
		}},
		{"Update", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			u := user(t, s, "carol")
			upd := u
			upd.Email, upd.Realname, upd.Comment, upd.Sysadmin, upd.Disabled = "c@example.org", "Carol", "note", true, true
			upd.Username, upd.PasswordHash, upd.Source = "mallory", "ignored", meta.SourceOIDC // not updatable here
			got, err := s.UpdateUser(c, upd)
			must(t, err)
			want := u
			want.Email, want.Realname, want.Comment, want.Sysadmin, want.Disabled = "c@example.org", "Carol", "note", true, true
			diff(t, "UpdateUser", want, got, cmpopts.IgnoreFields(meta.User{}, "UpdatedAt"))
			must(t, s.SetUserPassword(c, u.ID, "$argon2id$new"))
			must(t, s.RecordLogin(c, u.ID, t0))
			read, err := s.GetUser(c, u.ID)
			must(t, err)
			want.PasswordHash, want.LastLoginAt = "$argon2id$new", t0
			diff(t, "GetUser after updates", want, read, cmpopts.IgnoreFields(meta.User{}, "UpdatedAt"))
			if !read.LastLoginAt.Equal(t0) {
				t.Errorf("LastLoginAt = %v, want exactly %v", read.LastLoginAt, t0)
			}
		}},
		{"ListAndCount", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			for _, u := range []meta.User{
				{Username: "admin", Sysadmin: true},
				{Username: "bob", Email: "bob@example.com"},
				{Username: "bobby", Source: meta.SourceLDAP},
				{Username: "carol", Source: meta.SourceOIDC, Sysadmin: true},
				{Username: "dave"},
			} {
				_, err := s.CreateUser(c, u)
				must(t, err)
			}
			for _, tc := range []struct {
				name string
				f    meta.UserFilter
				w    meta.Window
				want []string
			}{
				{"All", meta.UserFilter{}, meta.Window{}, []string{"admin", "bob", "bobby", "carol", "dave"}},
				{"Page", meta.UserFilter{}, meta.Window{Offset: 2, Limit: 2}, []string{"bobby", "carol"}},
				{"Username", meta.UserFilter{Username: "bob"}, meta.Window{}, []string{"bob"}},
				{"Contains", meta.UserFilter{UsernameContains: "ob"}, meta.Window{}, []string{"bob", "bobby"}},
				{"Email", meta.UserFilter{Email: "bob@example.com"}, meta.Window{}, []string{"bob"}},
				{"Source", meta.UserFilter{Source: meta.SourceLocal}, meta.Window{}, []string{"admin", "bob", "dave"}},
				{"Sysadmin", meta.UserFilter{Sysadmin: ptr(true)}, meta.Window{}, []string{"admin", "carol"}},
				{"NotSysadmin", meta.UserFilter{Sysadmin: ptr(false), UsernameContains: "b"}, meta.Window{}, []string{"bob", "bobby"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := s.ListUsers(c, tc.f, tc.w)
					must(t, err)
					diff(t, "ListUsers", tc.want, usernames(got))
					n, err := s.CountUsers(c, tc.f)
					must(t, err)
					all, err := s.ListUsers(c, tc.f, meta.Window{})
					must(t, err)
					if n != int64(len(all)) {
						t.Errorf("CountUsers = %d, ListUsers without a window = %d", n, len(all))
					}
				})
			}
		}},
		{"DeleteCascades", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			gone, kept := user(t, s, "gone"), user(t, s, "kept")
			var projects []meta.Project
			for _, name := range []string{"p1", "p2"} {
				p := project(t, s, name, false)
				projects = append(projects, p)
				for _, u := range []meta.User{gone, kept} {
					_, err := s.AddMember(c, meta.Member{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleDeveloper})
					must(t, err)
				}
			}
			for _, name := range []string{"cli", "ci"} {
				_, err := s.CreateAccessToken(c, meta.AccessToken{UserID: gone.ID, Name: name, TokenHash: "h-" + name})
				must(t, err)
			}
			_, err := s.CreateAccessToken(c, meta.AccessToken{UserID: kept.ID, Name: "cli", TokenHash: "h-kept"})
			must(t, err)

			must(t, s.DeleteUser(c, gone.ID))
			wantErr(t, "GetUser", second(s.GetUser(c, gone.ID)), meta.ErrNotFound)
			for _, p := range projects {
				wantErr(t, "MemberRole of a deleted user", second(s.MemberRole(c, p.ID, gone.ID)), meta.ErrNotFound)
				ms, err := s.ListMembers(c, p.ID, meta.MemberFilter{}, meta.Window{})
				must(t, err)
				if len(ms) != 1 || ms[0].UserID != kept.ID {
					t.Errorf("members of %s after delete: %+v", p.Name, ms)
				}
			}
			ms, err := s.UserMemberships(c, gone.ID)
			must(t, err)
			if len(ms) != 0 {
				t.Errorf("memberships of a deleted user: %+v", ms)
			}
			wantErr(t, "token of a deleted user", second(s.GetAccessTokenByHash(c, "h-cli")), meta.ErrNotFound)
			toks, err := s.ListAccessTokens(c, gone.ID)
			must(t, err)
			if len(toks) != 0 {
				t.Errorf("tokens of a deleted user: %+v", toks)
			}
			if _, err := s.GetAccessTokenByHash(c, "h-kept"); err != nil {
				t.Errorf("another user's token: %v", err)
			}
			// The name is free again.
			user(t, s, "gone")
		}},
	})
}
