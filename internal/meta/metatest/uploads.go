package metatest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-oci/berth/internal/meta"
)

// upload returns a session record of repo updated at t.
func upload(id, repo string, t time.Time) meta.Upload {
	return meta.Upload{
		ID:         id,
		Repository: repo,
		Location:   "uploads/" + id,
		Algorithm:  "sha256",
		HashState:  []byte{0x00, 0x01, 0xfe, 0xff, byte(len(id))},
		CreatedAt:  t,
		UpdatedAt:  t,
	}
}

func testUploads(t *testing.T, newStore func(t *testing.T) meta.Store) {
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	runAll(t, newStore, []subtest{
		{"RoundTrip", func(t *testing.T, s meta.Store) {
			u := upload("u1", "lib/app", t0)
			must(t, s.CreateUpload(ctx(t), u))
			got, err := s.GetUpload(ctx(t), "lib/app", "u1")
			must(t, err)
			diff(t, "GetUpload", u, got)
			if got.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt location = %v, want UTC", got.CreatedAt.Location())
			}
		}},
		{"NonUTCTimesStoredAsUTC", func(t *testing.T, s meta.Store) {
			u := upload("u1", "r", t0.In(time.FixedZone("X", 5*3600)))
			must(t, s.CreateUpload(ctx(t), u))
			got, err := s.GetUpload(ctx(t), "r", "u1")
			must(t, err)
			if !got.UpdatedAt.Equal(t0) {
				t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, t0)
			}
			// Expiry compares instants, not wall clocks.
			exp, err := s.ExpiredUploads(ctx(t), t0.Add(time.Second), 0)
			must(t, err)
			if len(exp) != 1 {
				t.Errorf("ExpiredUploads = %d sessions, want 1", len(exp))
			}
		}},
		{"Errors", func(t *testing.T, s meta.Store) {
			u := upload("u1", "r", t0)
			must(t, s.CreateUpload(ctx(t), u))
			cases := []struct {
				name string
				err  error
				want error
			}{
				{"CreateUpload duplicate", s.CreateUpload(ctx(t), upload("u1", "other", t0)), meta.ErrConflict},
				{"GetUpload unknown id", get(t, s, "r", "nope"), meta.ErrNotFound},
				{"GetUpload other repository", get(t, s, "other", "u1"), meta.ErrNotFound},
				{"DeleteUpload unknown", s.DeleteUpload(ctx(t), "r", "nope"), meta.ErrNotFound},
				{"DeleteUpload other repository", s.DeleteUpload(ctx(t), "other", "u1"), meta.ErrNotFound},
				{"UpdateUpload unknown", s.UpdateUpload(ctx(t), upload("nope", "r", t0), 0), meta.ErrNotFound},
			}
			for _, c := range cases {
				wantErr(t, c.name, c.err, c.want)
			}
			// The failed duplicate left the original alone.
			got, err := s.GetUpload(ctx(t), "r", "u1")
			must(t, err)
			diff(t, "GetUpload after duplicate create", u, got)
		}},
		{"OptimisticUpdate", func(t *testing.T, s meta.Store) {
			u := upload("u1", "r", t0)
			must(t, s.CreateUpload(ctx(t), u))
			u.Offset, u.HashState, u.UpdatedAt = 100, []byte("state@100"), t0.Add(time.Minute)
			must(t, s.UpdateUpload(ctx(t), u, 0))
			got, err := s.GetUpload(ctx(t), "r", "u1")
			must(t, err)
			diff(t, "after update", u, got)

			stale := u
			stale.Offset, stale.HashState = 150, []byte("state@150 from 0")
			wantErr(t, "UpdateUpload from a stale offset", s.UpdateUpload(ctx(t), stale, 0), meta.ErrConflict)
			got, err = s.GetUpload(ctx(t), "r", "u1")
			must(t, err)
			diff(t, "after conflicting update", u, got)

			u.Offset, u.HashState, u.UpdatedAt = 200, []byte("state@200"), t0.Add(2*time.Minute)
			must(t, s.UpdateUpload(ctx(t), u, 100))
			got, err = s.GetUpload(ctx(t), "r", "u1")
			must(t, err)
			diff(t, "after second update", u, got)

			must(t, s.DeleteUpload(ctx(t), "r", "u1"))
			wantErr(t, "UpdateUpload after delete", s.UpdateUpload(ctx(t), u, 200), meta.ErrNotFound)
			wantErr(t, "GetUpload after delete", get(t, s, "r", "u1"), meta.ErrNotFound)
			wantErr(t, "DeleteUpload twice", s.DeleteUpload(ctx(t), "r", "u1"), meta.ErrNotFound)
		}},
		{"Expired", func(t *testing.T, s meta.Store) {
			var all []meta.Upload
			for i, id := range []string{"c", "a", "b", "d"} { // updated in this order
				u := upload(id, "r", t0.Add(time.Duration(i)*time.Hour))
				must(t, s.CreateUpload(ctx(t), u))
				all = append(all, u)
			}
			cases := []struct {
				name   string
				before time.Time
				limit  int
				want   []meta.Upload
			}{
				{"none", t0, 0, nil},
				{"first", t0.Add(time.Microsecond), 0, all[:1]},
				{"three", t0.Add(150 * time.Minute), 0, all[:3]},
				{"all", t0.Add(24 * time.Hour), 10, all},
			}
			// The contract does not fix an order.
			byID := cmpopts.SortSlices(func(a, b meta.Upload) bool { return a.ID < b.ID })
			for _, c := range cases {
				got, err := s.ExpiredUploads(ctx(t), c.before, c.limit)
				must(t, err)
				diff(t, "ExpiredUploads "+c.name, c.want, got, byID)
			}
			got, err := s.ExpiredUploads(ctx(t), t0.Add(150*time.Minute), 2)
			must(t, err)
			if len(got) != 2 {
				t.Errorf("ExpiredUploads with limit 2 = %d sessions, want 2", len(got))
			}
			for _, u := range got {
				if !u.UpdatedAt.Before(t0.Add(150 * time.Minute)) {
					t.Errorf("ExpiredUploads returned live session %s", u.ID)
				}
			}
			// An update keeps a session alive.
			u := all[0]
			u.Offset, u.UpdatedAt = 10, t0.Add(48*time.Hour)
			must(t, s.UpdateUpload(ctx(t), u, 0))
			got, err = s.ExpiredUploads(ctx(t), t0.Add(24*time.Hour), 0)
			must(t, err)
			diff(t, "ExpiredUploads after update", all[1:], got, byID)
		}},
	})
}

func get(t *testing.T, s meta.Store, repo, id string) error {
	_, err := s.GetUpload(ctx(t), repo, id)
	return err
}
