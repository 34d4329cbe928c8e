package metatest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/selector"
)

// rule returns an enabled immutability rule of project pid.
func rule(pid int64, repoDec, repoPat, tagDec, tagPat string) meta.ImmutableRule {
	return meta.ImmutableRule{
		ProjectID:  pid,
		Repository: selector.Selector{Kind: selector.KindDoublestar, Decoration: repoDec, Pattern: repoPat},
		Tag:        selector.Selector{Kind: selector.KindDoublestar, Decoration: tagDec, Pattern: tagPat},
	}
}

// wantImmutable checks that err is an *meta.ImmutableTagError for tag
// under rule ruleID.
func wantImmutable(t *testing.T, what string, err error, tag string, ruleID int64) {
	t.Helper()
	var im *meta.ImmutableTagError
	if !errors.As(err, &im) || !errors.Is(err, meta.ErrImmutable) {
		t.Errorf("%s: err = %v, want *meta.ImmutableTagError", what, err)
		return
	}
	if im.Tag != tag || im.RuleID != ruleID {
		t.Errorf("%s: immutable tag %q rule %d, want %q rule %d", what, im.Tag, im.RuleID, tag, ruleID)
	}
}

// resolvesTo checks that tag of repo names d.
func resolvesTo(t *testing.T, s meta.Store, repo, tag string, d digest.Digest) {
	t.Helper()
	m, err := s.ResolveTag(ctx(t), repo, tag)
	if err != nil || m.Digest != d {
		t.Errorf("ResolveTag %s:%s = %s, %v; want %s", repo, tag, m.Digest, err, d)
	}
}

func testImmutableRules(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"CRUD", func(t *testing.T, s meta.Store) {
			p := project(t, s, "team", false)
			other := project(t, s, "other", false)
			r1, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "**", selector.Matches, "v*"))
			must(t, err)
			if r1.ID == 0 || r1.CreatedAt.IsZero() || r1.ProjectID != p.ID {
				t.Errorf("created rule = %+v", r1)
			}
			r2, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoExcludes, "tmp/**", selector.Excludes, "{dev,test}-*"))
			must(t, err)
			got, err := s.ListImmutableRules(ctx(t), p.ID)
			must(t, err)
			diff(t, "ListImmutableRules", []meta.ImmutableRule{r1, r2}, got)
			one, err := s.GetImmutableRule(ctx(t), p.ID, r2.ID)
			must(t, err)
			diff(t, "GetImmutableRule", r2, one)

			_, err = s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "**", selector.Matches, "v*"))
			wantErr(t, "CreateImmutableRule duplicate", err, meta.ErrConflict)
			_, err = s.CreateImmutableRule(ctx(t), rule(other.ID, selector.RepoMatches, "**", selector.Matches, "v*"))
			must(t, err) // the same rule in another project is fine
			_, err = s.CreateImmutableRule(ctx(t), rule(p.ID, selector.Matches, "**", selector.Matches, "v*"))
			wantErr(t, "CreateImmutableRule bad decoration", err, meta.ErrInvalid)
			_, err = s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "{a", selector.Matches, "v*"))
			wantErr(t, "CreateImmutableRule bad pattern", err, meta.ErrInvalid)
			_, err = s.CreateImmutableRule(ctx(t), rule(p.ID+1000, selector.RepoMatches, "**", selector.Matches, "v*"))
			wantErr(t, "CreateImmutableRule unknown project", err, meta.ErrNotFound)

			r2.Disabled, r2.Priority, r2.Tag.Pattern = true, 5, "rc-*"
			up, err := s.UpdateImmutableRule(ctx(t), r2)
			must(t, err)
			diff(t, "UpdateImmutableRule", r2, up, cmpopts.IgnoreFields(meta.ImmutableRule{}, "UpdatedAt"))
			dup := r2
			dup.Repository, dup.Tag = r1.Repository, r1.Tag
			_, err = s.UpdateImmutableRule(ctx(t), dup)
			wantErr(t, "UpdateImmutableRule to a duplicate", err, meta.ErrConflict)
			moved := r2
			moved.ProjectID = other.ID
			_, err = s.UpdateImmutableRule(ctx(t), moved)
			wantErr(t, "UpdateImmutableRule in another project", err, meta.ErrNotFound)

			wantErr(t, "GetImmutableRule in another project", second(s.GetImmutableRule(ctx(t), other.ID, r1.ID)), meta.ErrNotFound)
			wantErr(t, "DeleteImmutableRule in another project", s.DeleteImmutableRule(ctx(t), other.ID, r1.ID), meta.ErrNotFound)
			must(t, s.DeleteImmutableRule(ctx(t), p.ID, r1.ID))
			wantErr(t, "DeleteImmutableRule again", s.DeleteImmutableRule(ctx(t), p.ID, r1.ID), meta.ErrNotFound)
			got, err = s.ListImmutableRules(ctx(t), p.ID)
			must(t, err)
			diff(t, "ListImmutableRules after delete", []meta.ImmutableRule{up}, got, cmpopts.IgnoreFields(meta.ImmutableRule{}, "UpdatedAt"))
		}},
		{"Enforced", func(t *testing.T, s meta.Store) {
			p := project(t, s, "team", false)
			r, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "app/**", selector.Matches, "v*"))
			must(t, err)
			a := pushImage(t, s, "team/app/api", "a", "v1")
			must(t, s.PutManifest(ctx(t), a, "latest"))
			b := pushImage(t, s, "team/app/api", "b", "")

			must(t, s.PutManifest(ctx(t), a, "v1")) // the same digest again is fine
			wantImmutable(t, "PutManifest moving v1", s.PutManifest(ctx(t), b, "v1"), "v1", r.ID)
			wantImmutable(t, "DeleteTag v1", s.DeleteTag(ctx(t), "team/app/api", "v1"), "v1", r.ID)
			wantImmutable(t, "DeleteManifest under v1", s.DeleteManifest(ctx(t), "team/app/api", a.Digest), "v1", r.ID)
			wantImmutable(t, "DeleteRepository", second(s.DeleteRepository(ctx(t), "team/app/api")), "v1", r.ID)
			wantErr(t, "AddTag onto the existing v1", s.AddTag(ctx(t), "team/app/api", "v1", b.Digest), meta.ErrConflict)
			resolvesTo(t, s, "team/app/api", "v1", a.Digest)
			resolvesTo(t, s, "team/app/api", "latest", a.Digest)

			// Tags the rule does not select still move and go.
			must(t, s.PutManifest(ctx(t), b, "latest"))
			must(t, s.DeleteTag(ctx(t), "team/app/api", "latest"))
			// New immutable tags can be created, by push or by AddTag, then stick.
			must(t, s.AddTag(ctx(t), "team/app/api", "v2", b.Digest))
			wantImmutable(t, "PutManifest moving v2", s.PutManifest(ctx(t), a, "v2"), "v2", r.ID)
			// Other repositories and projects are not selected.
			c := pushImage(t, s, "team/web", "c", "v1")
			must(t, s.PutManifest(ctx(t), pushImage(t, s, "team/web", "d", ""), "v1"))
			must(t, s.DeleteManifest(ctx(t), "team/web", c.Digest))
			e := pushImage(t, s, "other/app/api", "e", "v1")
			must(t, s.DeleteManifest(ctx(t), "other/app/api", e.Digest))

			// Disabling the rule lifts it.
			r.Disabled = true
			_, err = s.UpdateImmutableRule(ctx(t), r)
			must(t, err)
			must(t, s.PutManifest(ctx(t), b, "v1"))
			must(t, s.DeleteTag(ctx(t), "team/app/api", "v1"))
		}},
		{"ConcurrentPushes", func(t *testing.T, s meta.Store) {
			// Racing pushes of one new immutable tag: exactly one creates
			// it, every other is refused, and the history has one entry.
			p := project(t, s, "team", false)
			r, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "**", selector.Matches, "v*"))
			must(t, err)
			const n = 8
			ms := make([]meta.Manifest, n)
			for i := range ms {
				ms[i] = image("team/app", fmt.Sprint("m", i), nil)
			}
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range ms {
				wg.Go(func() { errs[i] = s.PutManifest(ctx(t), ms[i], "v1") })
			}
			wg.Wait()
			var won []int
			for i, err := range errs {
				if err == nil {
					won = append(won, i)
				} else {
					wantImmutable(t, "racing PutManifest", err, "v1", r.ID)
				}
			}
			if len(won) != 1 {
				t.Fatalf("%d pushes set the immutable tag, want 1 (errors %v)", len(won), errs)
			}
			resolvesTo(t, s, "team/app", "v1", ms[won[0]].Digest)
			if n, err := s.CountTagHistory(ctx(t), "team/app", "v1", time.Now().Add(-time.Minute)); err != nil || n != 1 {
				t.Errorf("CountTagHistory = %d, %v; want 1", n, err)
			}
		}},
		{"DeleteRacesPush", func(t *testing.T, s meta.Store) {
			// A manifest deleted while a push puts an immutable tag on it:
			// the delete is refused, or it goes first and the push brings
			// the manifest back; never a pushed tag silently deleted.
			p := project(t, s, "team", false)
			_, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "**", selector.Matches, "v*"))
			must(t, err)
			for i := range 20 {
				repo := fmt.Sprint("team/app", i)
				m := image(repo, "m", nil)
				must(t, s.PutManifest(ctx(t), m, ""))
				var pushErr, delErr error
				var wg sync.WaitGroup
				wg.Go(func() { pushErr = s.PutManifest(ctx(t), m, "v1") })
				wg.Go(func() { delErr = s.DeleteManifest(ctx(t), repo, m.Digest) })
				wg.Wait()
				must(t, pushErr)
				if delErr != nil && !errors.Is(delErr, meta.ErrImmutable) {
					t.Fatalf("DeleteManifest: %v", delErr)
				}
				resolvesTo(t, s, repo, "v1", m.Digest)
			}
		}},
		{"Excludes", func(t *testing.T, s meta.Store) {
			p := project(t, s, "team", false)
			r, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoExcludes, "scratch/**", selector.Excludes, "{latest,dev-*}"))
			must(t, err)
			a := pushImage(t, s, "team/app", "a", "1.0")
			b := pushImage(t, s, "team/app", "b", "latest")
			wantImmutable(t, "PutManifest moving 1.0", s.PutManifest(ctx(t), b, "1.0"), "1.0", r.ID)
			must(t, s.PutManifest(ctx(t), a, "latest"))
			must(t, s.PutManifest(ctx(t), a, "dev-x"))
			must(t, s.PutManifest(ctx(t), b, "dev-x"))
			pushImage(t, s, "team/scratch/x", "c", "1.0")
			must(t, s.DeleteTag(ctx(t), "team/scratch/x", "1.0"))
		}},
	})
}

func testTagHistory(t *testing.T, newStore func(t *testing.T) meta.Store) {
	runAll(t, newStore, []subtest{
		{"RecordAndRestore", func(t *testing.T, s meta.Store) {
			const repo = "team/app"
			since := time.Now().Add(-time.Minute)
			c := meta.WithActor(ctx(t), "alice")
			a, b := image(repo, "a", nil), image(repo, "b", nil)
			must(t, s.PutManifest(c, a, "v1"))
			must(t, s.PutManifest(c, a, "v1")) // no move, no entry
			must(t, s.PutManifest(c, b, "v1"))
			must(t, s.DeleteTag(meta.WithActor(ctx(t), "bob"), repo, "v1"))
			got, err := s.ListTagHistory(ctx(t), repo, "v1", since, meta.Window{})
			must(t, err)
			want := []meta.TagChange{
				{Repository: repo, Tag: "v1", Old: b.Digest, Actor: "bob"},
				{Repository: repo, Tag: "v1", Old: a.Digest, New: b.Digest, Actor: "alice"},
				{Repository: repo, Tag: "v1", New: a.Digest, Actor: "alice"},
			}
			noIDTime := cmpopts.IgnoreFields(meta.TagChange{}, "ID", "ChangedAt")
			diff(t, "ListTagHistory", want, got, noIDTime)
			for i := 1; i < len(got); i++ {
				if got[i].ChangedAt.After(got[i-1].ChangedAt) || got[i].ID >= got[i-1].ID {
					t.Errorf("history not newest first: %+v", got)
				}
			}
			if n, err := s.CountTagHistory(ctx(t), repo, "v1", since); err != nil || n != 3 {
				t.Errorf("CountTagHistory = %d, %v; want 3", n, err)
			}
			page, err := s.ListTagHistory(ctx(t), repo, "v1", since, meta.Window{Offset: 1, Limit: 1})
			must(t, err)
			diff(t, "ListTagHistory page 2", want[1:2], page, noIDTime)
			if got, err := s.ListTagHistory(ctx(t), repo, "v1", time.Now().Add(time.Hour), meta.Window{}); err != nil || len(got) != 0 {
				t.Errorf("ListTagHistory after the window = %v, %v; want none", got, err)
			}
			if got, err := s.ListTagHistory(ctx(t), "no/such", "v1", since, meta.Window{}); err != nil || len(got) != 0 {
				t.Errorf("ListTagHistory of an unknown repository = %v, %v; want none", got, err)
			}

			// Both manifests are untagged now; the history pins them.
			for _, d := range []digest.Digest{a.Digest, b.Digest} {
				if ok, err := s.HistoryPinned(ctx(t), repo, d, since); err != nil || !ok {
					t.Errorf("HistoryPinned(%s) = %v, %v; want true", d, ok, err)
				}
				if ok, err := s.HistoryPinned(ctx(t), repo, d, time.Now().Add(time.Hour)); err != nil || ok {
					t.Errorf("HistoryPinned(%s) after the window = %v, %v; want false", d, ok, err)
				}
			}

			must(t, s.RestoreTag(meta.WithActor(ctx(t), "carol"), repo, "v1", a.Digest, since))
			resolvesTo(t, s, repo, "v1", a.Digest)
			must(t, s.RestoreTag(ctx(t), repo, "v1", b.Digest, since))
			resolvesTo(t, s, repo, "v1", b.Digest)
			got, err = s.ListTagHistory(ctx(t), repo, "v1", since, meta.Window{Limit: 2})
			must(t, err)
			diff(t, "ListTagHistory after restores", []meta.TagChange{
				{Repository: repo, Tag: "v1", Old: a.Digest, New: b.Digest},
				{Repository: repo, Tag: "v1", New: a.Digest, Actor: "carol"},
			}, got, noIDTime)

			wantErr(t, "RestoreTag to a digest never tagged", s.RestoreTag(ctx(t), repo, "v1", digest.FromString("x"), since), meta.ErrNotFound)
			wantErr(t, "RestoreTag outside the window", s.RestoreTag(ctx(t), repo, "v1", a.Digest, time.Now().Add(time.Hour)), meta.ErrNotFound)
			wantErr(t, "RestoreTag of another tag", s.RestoreTag(ctx(t), repo, "v2", a.Digest, since), meta.ErrNotFound)
			must(t, s.DeleteManifest(ctx(t), repo, a.Digest))
			wantErr(t, "RestoreTag to a deleted manifest", s.RestoreTag(ctx(t), repo, "v1", a.Digest, since), meta.ErrNotFound)
			if ok, err := s.HistoryPinned(ctx(t), repo, a.Digest, since); err != nil || ok {
				t.Errorf("HistoryPinned of a deleted manifest = %v, %v; want false", ok, err)
			}
		}},
		{"DeleteManifestAndAddTag", func(t *testing.T, s meta.Store) {
			const repo = "team/app"
			since := time.Now().Add(-time.Minute)
			a := pushImage(t, s, repo, "a", "x")
			must(t, s.AddTag(ctx(t), repo, "y", a.Digest))
			must(t, s.DeleteManifest(ctx(t), repo, a.Digest))
			for _, tag := range []string{"x", "y"} {
				got, err := s.ListTagHistory(ctx(t), repo, tag, since, meta.Window{})
				must(t, err)
				diff(t, "ListTagHistory "+tag, []meta.TagChange{
					{Repository: repo, Tag: tag, Old: a.Digest},
					{Repository: repo, Tag: tag, New: a.Digest},
				}, got, cmpopts.IgnoreFields(meta.TagChange{}, "ID", "ChangedAt"))
			}
		}},
		{"RestoreImmutable", func(t *testing.T, s meta.Store) {
			const repo = "team/app"
			since := time.Now().Add(-time.Minute)
			p := project(t, s, "team", false)
			a := pushImage(t, s, repo, "a", "v1")
			b := pushImage(t, s, repo, "b", "")
			must(t, s.PutManifest(ctx(t), b, "v1"))
			r, err := s.CreateImmutableRule(ctx(t), rule(p.ID, selector.RepoMatches, "**", selector.Matches, "v1"))
			must(t, err)
			wantImmutable(t, "RestoreTag of an immutable tag", s.RestoreTag(ctx(t), repo, "v1", a.Digest, since), "v1", r.ID)
			resolvesTo(t, s, repo, "v1", b.Digest)
		}},
		{"Prune", func(t *testing.T, s meta.Store) {
			const repo = "team/app"
			since := time.Now().Add(-time.Minute)
			a := pushImage(t, s, repo, "a", "v1")
			must(t, s.DeleteTag(ctx(t), repo, "v1"))
			pushImage(t, s, "team/other", "b", "v1")
			n, err := s.PruneTagHistory(ctx(t), since)
			must(t, err)
			if n != 0 {
				t.Errorf("PruneTagHistory before everything = %d, want 0", n)
			}
			n, err = s.PruneTagHistory(ctx(t), time.Now().Add(time.Second))
			must(t, err)
			if n != 3 {
				t.Errorf("PruneTagHistory = %d, want 3", n)
			}
			if n, err := s.CountTagHistory(ctx(t), repo, "v1", since); err != nil || n != 0 {
				t.Errorf("CountTagHistory after prune = %d, %v; want 0", n, err)
			}
			if ok, err := s.HistoryPinned(ctx(t), repo, a.Digest, since); err != nil || ok {
				t.Errorf("HistoryPinned after prune = %v, %v; want false", ok, err)
			}
			wantErr(t, "RestoreTag after prune", s.RestoreTag(ctx(t), repo, "v1", a.Digest, since), meta.ErrNotFound)
		}},
		{"DeleteRepositoryDropsHistory", func(t *testing.T, s meta.Store) {
			const repo = "team/app"
			since := time.Now().Add(-time.Minute)
			pushImage(t, s, repo, "a", "v1")
			must(t, second(s.DeleteRepository(ctx(t), repo)))
			a := pushImage(t, s, repo, "b", "v1")
			got, err := s.ListTagHistory(ctx(t), repo, "v1", since, meta.Window{})
			must(t, err)
			diff(t, "ListTagHistory of a recreated repository", []meta.TagChange{{Repository: repo, Tag: "v1", New: a.Digest}}, got,
				cmpopts.IgnoreFields(meta.TagChange{}, "ID", "ChangedAt"))
		}},
	})
}
