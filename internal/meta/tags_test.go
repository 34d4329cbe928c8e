package meta

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/berth-oci/berth/internal/selector"
)

func TestImmutableRuleApplies(t *testing.T) {
	t.Parallel()
	rule := func(repoDec, repoPat, tagDec, tagPat string) ImmutableRule {
		return ImmutableRule{ID: 7,
			Repository: selector.Selector{Kind: selector.KindDoublestar, Decoration: repoDec, Pattern: repoPat},
			Tag:        selector.Selector{Kind: selector.KindDoublestar, Decoration: tagDec, Pattern: tagPat}}
	}
	cases := []struct {
		r         ImmutableRule
		repo, tag string
		want      bool
	}{
		{rule(selector.RepoMatches, "**", selector.Matches, "**"), "team/app", "latest", true},
		// Repository patterns see the name without the project.
		{rule(selector.RepoMatches, "app", selector.Matches, "v*"), "team/app", "v1", true},
		{rule(selector.RepoMatches, "team/app", selector.Matches, "v*"), "team/app", "v1", false},
		{rule(selector.RepoMatches, "app/*", selector.Matches, "v*"), "team/app/api", "v1", true},
		{rule(selector.RepoMatches, "*", selector.Matches, "v*"), "team/app/api", "v1", false},
		{rule(selector.RepoMatches, "**", selector.Matches, "v*"), "team/app", "latest", false},
		{rule(selector.RepoExcludes, "tmp/**", selector.Matches, "**"), "team/tmp/x", "v1", false},
		{rule(selector.RepoExcludes, "tmp/**", selector.Matches, "**"), "team/app", "v1", true},
		{rule(selector.RepoMatches, "**", selector.Excludes, "{latest,dev-*}"), "team/app", "dev-1", false},
		{rule(selector.RepoMatches, "**", selector.Excludes, "{latest,dev-*}"), "team/app", "1.0", true},
	}
	for _, c := range cases {
		if got := c.r.Applies(c.repo, c.tag); got != c.want {
			t.Errorf("%+v on %s:%s = %v, want %v", c.r, c.repo, c.tag, got, c.want)
		}
		disabled := c.r
		disabled.Disabled = true
		if disabled.Applies(c.repo, c.tag) {
			t.Errorf("disabled %+v applies to %s:%s", c.r, c.repo, c.tag)
		}
	}
	rules := []ImmutableRule{rule(selector.RepoMatches, "**", selector.Matches, "v*"), rule(selector.RepoMatches, "**", selector.Matches, "**")}
	rules[1].ID = 8
	if r, ok := ImmutableBy(rules, "team/app", "latest"); !ok || r.ID != 8 {
		t.Errorf("ImmutableBy latest = %d, %v; want rule 8", r.ID, ok)
	}
	if _, ok := ImmutableBy(nil, "team/app", "latest"); ok {
		t.Error("ImmutableBy without rules matched")
	}
	err := fmt.Errorf("wrapped: %w", &ImmutableTagError{Repository: "team/app", Tag: "v1", RuleID: 7})
	var im *ImmutableTagError
	if !errors.Is(err, ErrImmutable) || !errors.As(err, &im) || im.RuleID != 7 {
		t.Errorf("ImmutableTagError does not unwrap: %v", err)
	}
}

func TestActor(t *testing.T) {
	t.Parallel()
	if got := ActorFrom(context.Background()); got != "" {
		t.Errorf("ActorFrom(empty) = %q", got)
	}
	if got := ActorFrom(WithActor(context.Background(), "alice")); got != "alice" {
		t.Errorf("ActorFrom = %q, want alice", got)
	}
}
