package metatest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-oci/berth/internal/meta"
)

// auditFixture appends n events, one a minute from t0 (two share each
// minute, so ordering falls back on the ID), over three projects, three
// users and three operations, and returns them newest first as stored.
func auditFixture(t *testing.T, s meta.Store, n int) []meta.AuditEvent {
	t.Helper()
	projects := []string{"alpha", "beta", ""}
	users := []string{"alice", "bob", "robot$ci"}
	ops := []string{meta.OpPush, meta.OpPull, meta.OpDelete}
	events := make([]meta.AuditEvent, n)
	for i := range events {
		e := meta.AuditEvent{
			OccurredAt:    t0.Add(time.Duration(i/2) * time.Minute),
			Username:      users[i%3],
			PrincipalKind: "user",
			Operation:     ops[(i/3)%3],
			ResourceType:  "artifact",
			Resource:      fmt.Sprintf("%s/app:v%d", projects[i%3], i),
			Project:       projects[i%3],
			RemoteAddr:    "192.0.2.1",
		}
		if i%4 == 0 {
			e.Detail = map[string]string{"digest": fmt.Sprintf("sha256:%064d", i), "i": fmt.Sprint(i)}
		}
		events[i] = e
	}
	must(t, s.AppendAudit(ctx(t), events...))
	got, err := s.ListAudit(ctx(t), meta.AuditFilter{}, meta.Window{})
	must(t, err)
	if len(got) != n {
		t.Fatalf("ListAudit = %d events, want %d", len(got), n)
	}
	return got
}

// auditKeys identifies events by resource (unique in the fixture).
func auditKeys(es []meta.AuditEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Resource)
	}
	return out
}

// filterAudit is the reference filter the store must agree with.
func filterAudit(all []meta.AuditEvent, keep func(meta.AuditEvent) bool) []string {
	var out []string
	for _, e := range all {
		if keep(e) {
			out = append(out, e.Resource)
		}
	}
	return out
}

func testAudit(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RoundTripAndOrder", func(t *testing.T, s meta.Store) {
			all := auditFixture(t, s, 30)
			for i := 1; i < len(all); i++ {
				a, b := all[i-1], all[i]
				if a.OccurredAt.Before(b.OccurredAt) || (a.OccurredAt.Equal(b.OccurredAt) && a.ID < b.ID) {
					t.Fatalf("not newest first at %d: %v/%d then %v/%d", i, a.OccurredAt, a.ID, b.OccurredAt, b.ID)
				}
			}
			// The newest: i = 29 (minute 14), then i = 28 (same minute, lower ID).
			want := meta.AuditEvent{OccurredAt: t0.Add(14 * time.Minute), Username: "robot$ci", PrincipalKind: "user",
				Operation: meta.OpPush, ResourceType: "artifact", Resource: "/app:v29", RemoteAddr: "192.0.2.1"}
			diff(t, "newest event", want, all[0], cmpopts.IgnoreFields(meta.AuditEvent{}, "ID"))
			if all[1].Resource != "beta/app:v28" || all[1].Detail["i"] != "28" {
				t.Errorf("second newest = %+v", all[1])
			}
			if all[0].ID == 0 || !all[0].OccurredAt.Equal(want.OccurredAt) {
				t.Errorf("ID %d, OccurredAt %v: want an ID and exactly %v", all[0].ID, all[0].OccurredAt, want.OccurredAt)
			}
		}},
		{"Filters", func(t *testing.T, s meta.Store) {
			all := auditFixture(t, s, 60)
			from, to := t0.Add(5*time.Minute), t0.Add(20*time.Minute)
			for _, tc := range []struct {
				name string
				f    meta.AuditFilter
				keep func(meta.AuditEvent) bool
			}{
				{"None", meta.AuditFilter{}, func(meta.AuditEvent) bool { return true }},
				{"Project", meta.AuditFilter{Project: "alpha"}, func(e meta.AuditEvent) bool { return e.Project == "alpha" }},
				{"Username", meta.AuditFilter{Username: "bob"}, func(e meta.AuditEvent) bool { return e.Username == "bob" }},
				{"Operation", meta.AuditFilter{Operation: meta.OpPull}, func(e meta.AuditEvent) bool { return e.Operation == meta.OpPull }},
				{"ResourceType", meta.AuditFilter{ResourceType: "tag"}, func(meta.AuditEvent) bool { return false }},
				{"Time", meta.AuditFilter{From: from, To: to}, func(e meta.AuditEvent) bool {
					return !e.OccurredAt.Before(from) && e.OccurredAt.Before(to)
				}},
				{"Combined", meta.AuditFilter{Project: "beta", Operation: meta.OpPush, From: from}, func(e meta.AuditEvent) bool {
					return e.Project == "beta" && e.Operation == meta.OpPush && !e.OccurredAt.Before(from)
				}},
				{"Projects", meta.AuditFilter{Projects: []string{"alpha", "beta"}}, func(e meta.AuditEvent) bool {
					return e.Project == "alpha" || e.Project == "beta"
				}},
				{"ProjectsOne", meta.AuditFilter{Projects: []string{"beta"}}, func(e meta.AuditEvent) bool { return e.Project == "beta" }},
				{"ProjectsUnknown", meta.AuditFilter{Projects: []string{"gamma"}}, func(meta.AuditEvent) bool { return false }},
				{"ProjectsEmpty", meta.AuditFilter{Projects: []string{}}, func(meta.AuditEvent) bool { return false }},
				{"ProjectsAndProject", meta.AuditFilter{Projects: []string{"alpha", "beta"}, Project: "alpha"}, func(e meta.AuditEvent) bool {
					return e.Project == "alpha"
				}},
				{"UsernameContains", meta.AuditFilter{UsernameContains: "o"}, func(e meta.AuditEvent) bool {
					return strings.Contains(e.Username, "o")
				}},
				{"UsernameContainsCase", meta.AuditFilter{UsernameContains: "BOB"}, func(meta.AuditEvent) bool { return false }},
				{"UsernameContainsWildcard", meta.AuditFilter{UsernameContains: "%"}, func(meta.AuditEvent) bool { return false }},
				{"Resource", meta.AuditFilter{Resource: "alpha/app:v3"}, func(e meta.AuditEvent) bool { return e.Resource == "alpha/app:v3" }},
				{"ResourceContains", meta.AuditFilter{ResourceContains: "app:v1"}, func(e meta.AuditEvent) bool {
					return strings.Contains(e.Resource, "app:v1")
				}},
				{"ResourceContainsUnderscore", meta.AuditFilter{ResourceContains: "app_v1"}, func(meta.AuditEvent) bool { return false }},
				{"ProjectsAndContains", meta.AuditFilter{Projects: []string{"alpha", "beta"}, UsernameContains: "b",
					ResourceContains: "/app:v2", From: from}, func(e meta.AuditEvent) bool {
					return (e.Project == "alpha" || e.Project == "beta") && strings.Contains(e.Username, "b") &&
						strings.Contains(e.Resource, "/app:v2") && !e.OccurredAt.Before(from)
				}},
				{"Before", meta.AuditFilter{Before: all[10].Cursor()}, func(e meta.AuditEvent) bool {
					return e.OccurredAt.Before(all[10].OccurredAt) || (e.OccurredAt.Equal(all[10].OccurredAt) && e.ID < all[10].ID)
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					want := filterAudit(all, tc.keep)
					got, err := s.ListAudit(ctx(t), tc.f, meta.Window{})
					must(t, err)
					diff(t, "ListAudit", want, auditKeys(got))
					n, err := s.CountAudit(ctx(t), tc.f)
					must(t, err)
					if n != int64(len(want)) {
						t.Errorf("CountAudit = %d, want %d", n, len(want))
					}
				})
			}
		}},
		{"Pagination", func(t *testing.T, s meta.Store) {
			all := auditKeys(auditFixture(t, s, 47))
			f := meta.AuditFilter{}
			const size = 10
			// Offset pages (Harbor's page/page_size).
			var byOffset []string
			for page := 1; ; page++ {
				got, err := s.ListAudit(ctx(t), f, meta.Window{Offset: (page - 1) * size, Limit: size})
				must(t, err)
				byOffset = append(byOffset, auditKeys(got)...)
				if len(got) < size {
					break
				}
			}
			diff(t, "offset pages", all, byOffset)
			// Keyset pages.
			var byKey []string
			for {
				got, err := s.ListAudit(ctx(t), f, meta.Window{Limit: size})
				must(t, err)
				byKey = append(byKey, auditKeys(got)...)
				if len(got) < size {
					break
				}
				f.Before = got[len(got)-1].Cursor()
			}
			diff(t, "keyset pages", all, byKey)
		}},
		{"Invalid", func(t *testing.T, s meta.Store) {
			err := s.AppendAudit(ctx(t), meta.AuditEvent{Operation: meta.OpPush}, meta.AuditEvent{Username: "x"})
			wantErr(t, "AppendAudit without operation", err, meta.ErrInvalid)
			n, err := s.CountAudit(ctx(t), meta.AuditFilter{})
			must(t, err)
			if n != 0 {
				t.Errorf("a rejected batch stored %d events", n)
			}
			must(t, s.AppendAudit(ctx(t))) // nothing to do
		}},
		{"DefaultTime", func(t *testing.T, s meta.Store) {
			before := time.Now().Add(-time.Second)
			must(t, s.AppendAudit(ctx(t), meta.AuditEvent{Operation: meta.OpLoginFailed, Username: "eve"}))
			got, err := s.ListAudit(ctx(t), meta.AuditFilter{Operation: meta.OpLoginFailed}, meta.Window{})
			must(t, err)
			if len(got) != 1 || got[0].OccurredAt.Before(before) || got[0].OccurredAt.Location() != time.UTC {
				t.Errorf("ListAudit = %+v: want one event at a recent UTC time", got)
			}
		}},
		{"Prune", func(t *testing.T, s meta.Store) {
			all := auditFixture(t, s, 40) // minutes 0..19
			cutoff := t0.Add(15 * time.Minute)
			n, err := s.PruneAudit(ctx(t), cutoff)
			must(t, err)
			want := filterAudit(all, func(e meta.AuditEvent) bool { return !e.OccurredAt.Before(cutoff) })
			if n != int64(len(all)-len(want)) {
				t.Errorf("PruneAudit = %d, want %d", n, len(all)-len(want))
			}
			got, err := s.ListAudit(ctx(t), meta.AuditFilter{}, meta.Window{})
			must(t, err)
			diff(t, "after prune", want, auditKeys(got))
			if n, err := s.PruneAudit(ctx(t), cutoff); err != nil || n != 0 {
				t.Errorf("second PruneAudit = %d, %v; want 0", n, err)
			}
		}},
		{"LargeBatchAndPrune", func(t *testing.T, s meta.Store) {
			// More rows than one INSERT or one prune statement takes.
			const n = 2100
			events := make([]meta.AuditEvent, n)
			for i := range events {
				events[i] = meta.AuditEvent{OccurredAt: t0.Add(time.Duration(i) * time.Second), Operation: meta.OpPull,
					Username: "bulk", Resource: fmt.Sprint(i)}
			}
			must(t, s.AppendAudit(ctx(t), events...))
			got, err := s.CountAudit(ctx(t), meta.AuditFilter{Username: "bulk"})
			must(t, err)
			if got != n {
				t.Fatalf("CountAudit = %d, want %d", got, n)
			}
			pruned, err := s.PruneAudit(ctx(t), t0.Add(2050*time.Second))
			must(t, err)
			if pruned != 2050 {
				t.Errorf("PruneAudit = %d, want 2050", pruned)
			}
			left, err := s.ListAudit(ctx(t), meta.AuditFilter{}, meta.Window{Limit: 1, Offset: 49})
			must(t, err)
			if len(left) != 1 || left[0].Resource != "2050" {
				t.Errorf("oldest left = %+v, want resource 2050", left)
			}
		}},
	})
}
