package metatest

import (
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

func testAccessTokens(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			before := time.Now().Add(-time.Second)
			u := user(t, s, "oidc-user")
			in := meta.AccessToken{UserID: u.ID, Name: "laptop", TokenHash: "sha256:aa", ExpiresAt: t0.Add(24 * time.Hour)}
			tok, err := s.CreateAccessToken(c, in)
			must(t, err)
			if tok.ID == 0 || tok.CreatedAt.Before(before) {
				t.Errorf("CreateAccessToken = %+v: want an ID and a recent CreatedAt", tok)
			}
			in.ID, in.CreatedAt = tok.ID, tok.CreatedAt
			diff(t, "CreateAccessToken", in, tok)
			got, err := s.GetAccessTokenByHash(c, "sha256:aa")
			must(t, err)
			diff(t, "GetAccessTokenByHash", tok, got)
			if !got.Active(t0) || got.Active(t0.Add(25*time.Hour)) {
				t.Errorf("Active around ExpiresAt %v is wrong", got.ExpiresAt)
			}

			must(t, s.TouchAccessToken(c, tok.ID, t0))
			must(t, s.RevokeAccessToken(c, u.ID, tok.ID, t0.Add(time.Hour)))
			// Revoking again keeps the first time.
			must(t, s.RevokeAccessToken(c, u.ID, tok.ID, t0.Add(2*time.Hour)))
			got, err = s.GetAccessTokenByHash(c, "sha256:aa")
			must(t, err)
			if !got.LastUsedAt.Equal(t0) || !got.RevokedAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("LastUsedAt = %v, RevokedAt = %v; want %v and %v", got.LastUsedAt, got.RevokedAt, t0, t0.Add(time.Hour))
			}
			if got.Active(t0) {
				t.Error("a revoked token is Active")
			}
		}},
		{"Errors", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			u, v := user(t, s, "u"), user(t, s, "v")
			tok, err := s.CreateAccessToken(c, meta.AccessToken{UserID: u.ID, Name: "cli", TokenHash: "h1"})
			must(t, err)
			// The same name for another user is fine.
			_, err = s.CreateAccessToken(c, meta.AccessToken{UserID: v.ID, Name: "cli", TokenHash: "h2"})
			must(t, err)
			for _, tc := range []struct {
				name      string
				err, want error
			}{
				{"DuplicateName", second(s.CreateAccessToken(c, meta.AccessToken{UserID: u.ID, Name: "cli", TokenHash: "h3"})), meta.ErrConflict},
				{"DuplicateHash", second(s.CreateAccessToken(c, meta.AccessToken{UserID: u.ID, Name: "other", TokenHash: "h2"})), meta.ErrConflict},
				{"MissingUser", second(s.CreateAccessToken(c, meta.AccessToken{UserID: v.ID + 100, Name: "x", TokenHash: "h4"})), meta.ErrNotFound},
				{"EmptyName", second(s.CreateAccessToken(c, meta.AccessToken{UserID: u.ID, TokenHash: "h5"})), meta.ErrInvalid},
				{"EmptyHash", second(s.CreateAccessToken(c, meta.AccessToken{UserID: u.ID, Name: "y"})), meta.ErrInvalid},
				{"GetMissing", second(s.GetAccessTokenByHash(c, "nope")), meta.ErrNotFound},
				{"TouchMissing", s.TouchAccessToken(c, tok.ID+100, t0), meta.ErrNotFound},
				{"RevokeMissing", s.RevokeAccessToken(c, u.ID, tok.ID+100, t0), meta.ErrNotFound},
				{"RevokeOtherUsers", s.RevokeAccessToken(c, v.ID, tok.ID, t0), meta.ErrNotFound},
			} {
				wantErr(t, tc.name, tc.err, tc.want)
			}
			got, err := s.GetAccessTokenByHash(c, "h1")
			must(t, err)
			if !got.RevokedAt.IsZero() {
				t.Error("another user revoked the token")
			}
		}},
		{"ListAndPrune", func(t *testing.T, s meta.Store) {
			c := ctx(t)
			u, v := user(t, s, "u"), user(t, s, "v")
			var ids []int64
			for _, tok := range []meta.AccessToken{
				{UserID: u.ID, Name: "live", TokenHash: "a"},
				{UserID: u.ID, Name: "expired-long-ago", TokenHash: "b", ExpiresAt: t0.Add(-48 * time.Hour)},
				{UserID: u.ID, Name: "revoked-long-ago", TokenHash: "c"},
				{UserID: u.ID, Name: "expires-later", TokenHash: "d", ExpiresAt: t0.Add(48 * time.Hour)},
				{UserID: v.ID, Name: "other", TokenHash: "e"},
			} {
				got, err := s.CreateAccessToken(c, tok)
				must(t, err)
				ids = append(ids, got.ID)
			}
			must(t, s.RevokeAccessToken(c, u.ID, ids[2], t0.Add(-48*time.Hour)))
			list, err := s.ListAccessTokens(c, u.ID)
			must(t, err)
			var names []string
			for _, tok := range list {
				names = append(names, tok.Name)
			}
			diff(t, "ListAccessTokens", []string{"live", "expired-long-ago", "revoked-long-ago", "expires-later"}, names)

			n, err := s.PruneAccessTokens(c, t0)
			must(t, err)
			if n != 2 {
				t.Errorf("PruneAccessTokens = %d, want 2", n)
			}
			list, err = s.ListAccessTokens(c, u.ID)
			must(t, err)
			names = names[:0]
			for _, tok := range list {
				names = append(names, tok.Name)
			}
			diff(t, "ListAccessTokens after prune", []string{"live", "expires-later"}, names)
		}},
	})
}
