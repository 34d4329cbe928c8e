package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/meta"
)

const rulesURL = "/projects/team/immutabletagrules"

// ruleBody is a Harbor-shaped immutability rule body.
func ruleBody(repoDec, repoPat, tagDec, tagPat string, disabled bool) string {
	d := "false"
	if disabled {
		d = "true"
	}
	return `{"disabled":` + d + `,"action":"immutable","template":"immutable_template",` +
		`"tag_selectors":[{"kind":"doublestar","decoration":"` + tagDec + `","pattern":"` + tagPat + `"}],` +
		`"scope_selectors":{"repository":[{"kind":"doublestar","decoration":"` + repoDec + `","pattern":"` + repoPat + `"}]}}`
}

func TestImmutableRulesAPI(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{})
	vRule := ruleBody("repoMatches", "**", "matches", "v*", false)

	want(t, e.do(t, "dev", "POST", rulesURL, vRule), http.StatusForbidden)
	want(t, e.do(t, "anonymous", "POST", rulesURL, vRule), http.StatusUnauthorized)
	want(t, e.do(t, "outsider", "GET", rulesURL, ""), http.StatusNotFound)
	want(t, e.do(t, "maintainer", "POST", "/projects/nope/immutabletagrules", vRule), http.StatusNotFound)
	for _, bad := range []string{
		`{`,
		ruleBody("matches", "**", "matches", "v*", false),
		ruleBody("repoMatches", "**", "repoMatches", "v*", false),
		ruleBody("repoMatches", "{a", "matches", "v*", false),
		ruleBody("repoMatches", "**", "matches", "", false),
		`{"tag_selectors":[],"scope_selectors":{"repository":[{"decoration":"repoMatches","pattern":"**"}]}}`,
		`{"action":"retain","tag_selectors":[{"decoration":"matches","pattern":"**"}],"scope_selectors":{"repository":[{"decoration":"repoMatches","pattern":"**"}]}}`,
	} {
		want(t, e.do(t, "maintainer", "POST", rulesURL, bad), http.StatusBadRequest)
	}

	w := e.do(t, "maintainer", "POST", rulesURL, vRule)
	want(t, w, http.StatusCreated)
	loc := w.Header().Get("Location")
	if !strings.HasPrefix(loc, Prefix+rulesURL+"/") {
		t.Fatalf("Location = %q", loc)
	}
	id := strings.TrimPrefix(loc, Prefix+rulesURL+"/")
	want(t, e.do(t, "maintainer", "POST", rulesURL, vRule), http.StatusConflict)
	// The kind may be left out: doublestar is the only one.
	want(t, e.do(t, "padmin", "POST", rulesURL,
		`{"tag_selectors":[{"decoration":"matches","pattern":"release-{a,b}"}],"scope_selectors":{"repository":[{"decoration":"repoExcludes","pattern":"tools/**"}]}}`),
		http.StatusCreated)

	w = e.do(t, "guest", "GET", rulesURL, "")
	want(t, w, http.StatusOK)
	rules := decode[[]immutableRuleJSON](t, w)
	if w.Header().Get("X-Total-Count") != "2" || len(rules) != 2 {
		t.Fatalf("rules = %+v, total %s", rules, w.Header().Get("X-Total-Count"))
	}
	wantRule := immutableRuleJSON{ID: rules[0].ID, Action: "immutable", Template: "immutable_template", Params: map[string]any{},
		TagSelectors:   []selectorJSON{{Kind: "doublestar", Decoration: "matches", Pattern: "v*"}},
		ScopeSelectors: map[string][]selectorJSON{"repository": {{Kind: "doublestar", Decoration: "repoMatches", Pattern: "**"}}}}
	if d := cmp.Diff(wantRule, rules[0]); d != "" || itoa(rules[0].ID) != id {
		t.Errorf("rule (-want +got):\n%s", d)
	}
	w = e.do(t, "guest", "GET", rulesURL+"?page=2&page_size=1", "")
	if got := decode[[]immutableRuleJSON](t, w); len(got) != 1 || got[0].ID != rules[1].ID {
		t.Errorf("page 2 = %+v", got)
	}

	// The tag v1 is immutable now; stable (same artifact) is not.
	art := decode[artifactJSON](t, e.do(t, "guest", "GET", appArtifacts+"/v1", ""))
	imm := map[string]bool{}
	for _, tg := range art.Tags {
		imm[tg.Name] = tg.Immutable
	}
	if d := cmp.Diff(map[string]bool{"v1": true, "stable": false}, imm); d != "" {
		t.Errorf("immutable flags (-want +got):\n%s", d)
	}
	tags := decode[[]tagJSON](t, e.do(t, "guest", "GET", appArtifacts+"/v1/tags", ""))
	for _, tg := range tags {
		if tg.Immutable != (tg.Name == "v1") {
			t.Errorf("tag list: %s immutable = %v", tg.Name, tg.Immutable)
		}
	}

	// Every delete that would remove v1 is refused with 412, naming it.
	for _, path := range []string{appArtifacts + "/v1/tags/v1", appArtifacts + "/v1", "/projects/team/repositories/app"} {
		w := e.do(t, "maintainer", "DELETE", path, "")
		want(t, w, http.StatusPreconditionFailed)
		if !strings.Contains(w.Body.String(), "PRECONDITION") || !strings.Contains(w.Body.String(), "tag v1 of team/app is immutable") {
			t.Errorf("DELETE %s: body %s", path, w.Body.String())
		}
	}
	want(t, e.do(t, "maintainer", "DELETE", appArtifacts+"/v1/tags/stable", ""), http.StatusOK)
	want(t, e.do(t, "guest", "GET", appArtifacts+"/v1", ""), http.StatusOK)

	// Disabling the rule lifts it; deleting it too.
	want(t, e.do(t, "dev", "PUT", rulesURL+"/"+id, ruleBody("repoMatches", "**", "matches", "v*", true)), http.StatusForbidden)
	want(t, e.do(t, "maintainer", "PUT", rulesURL+"/"+id, `{"tag_selectors":[]}`), http.StatusBadRequest)
	want(t, e.do(t, "maintainer", "PUT", rulesURL+"/999", ruleBody("repoMatches", "**", "matches", "v*", true)), http.StatusNotFound)
	want(t, e.do(t, "maintainer", "PUT", rulesURL+"/x", ruleBody("repoMatches", "**", "matches", "v*", true)), http.StatusBadRequest)
	want(t, e.do(t, "maintainer", "PUT", rulesURL+"/"+id, ruleBody("repoExcludes", "tools/**", "matches", "release-{a,b}", true)), http.StatusConflict)
	want(t, e.do(t, "maintainer", "PUT", rulesURL+"/"+id, ruleBody("repoMatches", "**", "matches", "v*", true)), http.StatusOK)
	if got := decode[[]immutableRuleJSON](t, e.do(t, "guest", "GET", rulesURL, "")); !got[0].Disabled {
		t.Errorf("rule not disabled: %+v", got[0])
	}
	want(t, e.do(t, "maintainer", "DELETE", appArtifacts+"/v1/tags/v1", ""), http.StatusOK)
	want(t, e.do(t, "dev", "DELETE", rulesURL+"/"+id, ""), http.StatusForbidden)
	want(t, e.do(t, "maintainer", "DELETE", rulesURL+"/"+id, ""), http.StatusOK)
	want(t, e.do(t, "maintainer", "DELETE", rulesURL+"/"+id, ""), http.StatusNotFound)

	trail := e.auditTrail(t, meta.AuditFilter{Project: "team"}, func(ev meta.AuditEvent) string {
		return ev.Username + " " + ev.Operation
	})
	wantTrail := []string{"maintainer immutable_rule.delete", "maintainer delete", "maintainer immutable_rule.update",
		"maintainer delete", "padmin immutable_rule.create", "maintainer immutable_rule.create"}
	if d := cmp.Diff(wantTrail, trail); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

func TestImmutableRulesLimit(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{})
	for i := range MaxImmutableRules {
		want(t, e.do(t, "maintainer", "POST", rulesURL, ruleBody("repoMatches", "**", "matches", "v"+itoa(int64(i)), false)), http.StatusCreated)
	}
	want(t, e.do(t, "maintainer", "POST", rulesURL, ruleBody("repoMatches", "**", "matches", "x", false)), http.StatusBadRequest)
}

func TestTagHistoryAPI(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{})
	const hist = "/projects/team/repositories/app/tags/v1/history"
	const restore = "/projects/team/repositories/app/tags/v1/restore"
	a := e.images["team/app:v1"]
	b := e.push(t, "team/app", "v1", "v1 again", 0)
	want(t, e.do(t, "maintainer", "DELETE", appArtifacts+"/v1/tags/v1", ""), http.StatusOK)

	want(t, e.do(t, "outsider", "GET", hist, ""), http.StatusNotFound)
	want(t, e.do(t, "anonymous", "GET", hist, ""), http.StatusUnauthorized)
	want(t, e.do(t, "guest", "GET", "/projects/team/repositories/app/tags/bad%20tag/history", ""), http.StatusBadRequest)
	w := e.do(t, "guest", "GET", hist, "")
	want(t, w, http.StatusOK)
	got := decode[[]tagChangeJSON](t, w)
	type entry struct{ Op, Old, New, By string }
	show := func(cs []tagChangeJSON) []entry {
		var out []entry
		for _, c := range cs {
			out = append(out, entry{c.Operation, string(c.OldDigest), string(c.NewDigest), c.Operator})
		}
		return out
	}
	wantEntries := []entry{{"delete", b.String(), "", "maintainer"}, {"move", a.String(), b.String(), ""}, {"create", "", a.String(), ""}}
	if d := cmp.Diff(wantEntries, show(got)); d != "" || w.Header().Get("X-Total-Count") != "3" {
		t.Errorf("history (-want +got):\n%s\ntotal %s", d, w.Header().Get("X-Total-Count"))
	}
	if got := decode[[]tagChangeJSON](t, e.do(t, "guest", "GET", hist+"?page=2&page_size=2", "")); len(got) != 1 || got[0].Operation != "create" {
		t.Errorf("page 2 = %+v", got)
	}

	body := `{"digest":"` + a.String() + `"}`
	want(t, e.do(t, "dev", "POST", restore, body), http.StatusForbidden)
	want(t, e.do(t, "maintainer", "POST", restore, `{"digest":"nope"}`), http.StatusBadRequest)
	want(t, e.do(t, "maintainer", "POST", restore, `{"digest":"`+e.images["pub/web:latest"].String()+`"}`), http.StatusNotFound)
	want(t, e.do(t, "maintainer", "POST", "/projects/team/repositories/app/tags/other/restore", body), http.StatusNotFound)
	w = e.do(t, "maintainer", "POST", restore, body)
	want(t, w, http.StatusOK)
	if got := decode[map[string]string](t, w); got["digest"] != a.String() || got["name"] != "v1" {
		t.Errorf("restore answered %v", got)
	}
	if art := decode[artifactJSON](t, e.do(t, "guest", "GET", appArtifacts+"/v1", "")); art.Digest != a {
		t.Errorf("v1 -> %s after restore, want %s", art.Digest, a)
	}
	if got := decode[[]tagChangeJSON](t, e.do(t, "guest", "GET", hist+"?page_size=1", "")); len(got) != 1 ||
		got[0].Operation != "create" || got[0].NewDigest != a || got[0].Operator != "maintainer" {
		t.Errorf("latest change = %+v", got)
	}

	// An immutable tag is never restored, and a tiny window forgets.
	want(t, e.do(t, "maintainer", "POST", rulesURL, ruleBody("repoMatches", "app", "matches", "v1", false)), http.StatusCreated)
	w = e.do(t, "maintainer", "POST", restore, `{"digest":"`+b.String()+`"}`)
	want(t, w, http.StatusPreconditionFailed)
	short := newContentEnv(t, Options{TagHistoryWindow: 1})
	if got := decode[[]tagChangeJSON](t, short.do(t, "guest", "GET", hist, "")); len(got) != 0 {
		t.Errorf("history outside a 1ns window = %+v", got)
	}
	want(t, short.do(t, "maintainer", "POST", restore, `{"digest":"`+short.images["team/app:v1"].String()+`"}`), http.StatusNotFound)
}
