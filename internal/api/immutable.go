package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/selector"
)

// Audit operations of immutability rules and tag restores.
const (
	opRuleCreate = "immutable_rule.create"
	opRuleUpdate = "immutable_rule.update"
	opRuleDelete = "immutable_rule.delete"
	opRestore    = "tag.restore"
)

// MaxImmutableRules bounds the immutability rules of a project, as Harbor
// does (15).
const MaxImmutableRules = 15

const rulesPath = "/projects/{project_name_or_id}/immutabletagrules"

func (a *API) immutableRoutes() {
	a.handle("GET "+rulesPath, "immutable_rules_list", a.listImmutableRules)
	a.handle("POST "+rulesPath, "immutable_rule_create", a.createImmutableRule)
	a.handle("PUT "+rulesPath+"/{immutable_rule_id}", "immutable_rule_update", a.updateImmutableRule)
	a.handle("DELETE "+rulesPath+"/{immutable_rule_id}", "immutable_rule_delete", a.deleteImmutableRule)
}

// selectorJSON is Harbor's ImmutableSelector.
type selectorJSON struct {
	Kind       string `json:"kind"`
	Decoration string `json:"decoration"`
	Pattern    string `json:"pattern"`
	Extras     string `json:"extras"`
}

// immutableRuleJSON is Harbor's ImmutableRule. Berth uses the first (and
// only) tag selector and repository scope selector, as Harbor's matcher
// does.
type immutableRuleJSON struct {
	ID             int64                     `json:"id"`
	Priority       int                       `json:"priority"`
	Disabled       bool                      `json:"disabled"`
	Action         string                    `json:"action"`
	Template       string                    `json:"template"`
	Params         map[string]any            `json:"params"`
	TagSelectors   []selectorJSON            `json:"tag_selectors"`
	ScopeSelectors map[string][]selectorJSON `json:"scope_selectors"`
}

func ruleOut(r meta.ImmutableRule) immutableRuleJSON {
	return immutableRuleJSON{
		ID: r.ID, Priority: r.Priority, Disabled: r.Disabled,
		Action: "immutable", Template: "immutable_template", Params: map[string]any{},
		TagSelectors: []selectorJSON{{Kind: r.Tag.Kind, Decoration: r.Tag.Decoration, Pattern: r.Tag.Pattern}},
		ScopeSelectors: map[string][]selectorJSON{"repository": {{
			Kind: r.Repository.Kind, Decoration: r.Repository.Decoration, Pattern: r.Repository.Pattern}}},
	}
}

// ruleIn reads a rule body for project pid: exactly one tag selector and
// one repository scope selector, valid doublestar patterns.
func ruleIn(w http.ResponseWriter, r *http.Request, pid int64) (meta.ImmutableRule, error) {
	var req immutableRuleJSON
	if err := decodeJSON(w, r, &req); err != nil {
		return meta.ImmutableRule{}, err
	}
	if req.Action != "" && req.Action != "immutable" {
		return meta.ImmutableRule{}, badRequest("action must be immutable")
	}
	repos := req.ScopeSelectors["repository"]
	if len(req.TagSelectors) != 1 || len(repos) != 1 || len(req.ScopeSelectors) != 1 {
		return meta.ImmutableRule{}, badRequest("a rule needs exactly one tag selector and one repository scope selector")
	}
	sel := func(s selectorJSON) selector.Selector {
		if s.Kind == "" {
			s.Kind = selector.KindDoublestar
		}
		return selector.Selector{Kind: s.Kind, Decoration: s.Decoration, Pattern: s.Pattern}
	}
	rule := meta.ImmutableRule{ProjectID: pid, Priority: req.Priority, Disabled: req.Disabled,
		Repository: sel(repos[0]), Tag: sel(req.TagSelectors[0])}
	if err := rule.Validate(); err != nil {
		return meta.ImmutableRule{}, badRequest("%v", err)
	}
	return rule, nil
}

// ruleTarget resolves the project of a rule route for a write and reads
// {immutable_rule_id}.
func (a *API) ruleTarget(r *http.Request) (meta.Project, int64, error) {
	p, err := a.project(r, access.ActionWrite)
	if err != nil {
		return meta.Project{}, 0, err
	}
	id, err := strconv.ParseInt(r.PathValue("immutable_rule_id"), 10, 64)
	if err != nil || id <= 0 {
		return meta.Project{}, 0, badRequest("invalid immutable rule id %q", r.PathValue("immutable_rule_id"))
	}
	return p, id, nil
}

// ruleError maps a rule write's store error: 409 for a rule whose
// selectors another rule of the project has.
func ruleError(err error, what string) error {
	if errors.Is(err, meta.ErrConflict) {
		return conflict("the project already has an immutability rule with these selectors")
	}
	return storeError(err, what)
}

// listImmutableRules is GET /projects/{p}/immutabletagrules (read): the
// project's rules by priority, then id, paged.
func (a *API) listImmutableRules(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionRead)
	if err != nil {
		return err
	}
	page, size, err := pageParams(r)
	if err != nil {
		return err
	}
	rules, err := a.store.ListImmutableRules(r.Context(), p.ID)
	if err != nil {
		return err
	}
	total := int64(len(rules))
	from := min(len(rules), (page-1)*size)
	writePage(w, r, page, size, total, rules[from:min(len(rules), from+size)], ruleOut)
	return nil
}

// createImmutableRule is POST /projects/{p}/immutabletagrules (write).
func (a *API) createImmutableRule(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionWrite)
	if err != nil {
		return err
	}
	rule, err := ruleIn(w, r, p.ID)
	if err != nil {
		return err
	}
	rules, err := a.store.ListImmutableRules(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if len(rules) >= MaxImmutableRules {
		return badRequest("project %s has %d immutability rules, the most allowed", p.Name, MaxImmutableRules)
	}
	rule, err = a.store.CreateImmutableRule(r.Context(), rule)
	if err != nil {
		return ruleError(err, "immutability rule")
	}
	id := strconv.FormatInt(rule.ID, 10)
	a.audit(r, meta.AuditEvent{Operation: opRuleCreate, ResourceType: "immutable_rule", Resource: p.Name + "/" + id, Project: p.Name,
		Detail: map[string]string{"repository": rule.Repository.Decoration + " " + rule.Repository.Pattern,
			"tag": rule.Tag.Decoration + " " + rule.Tag.Pattern}})
	w.Header().Set("Location", r.URL.EscapedPath()+"/"+id)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// updateImmutableRule is PUT /projects/{p}/immutabletagrules/{id} (write):
// replaces the rule's selectors, priority and disabled flag.
func (a *API) updateImmutableRule(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.ruleTarget(r)
	if err != nil {
		return err
	}
	rule, err := ruleIn(w, r, p.ID)
	if err != nil {
		return err
	}
	rule.ID = id
	if rule, err = a.store.UpdateImmutableRule(r.Context(), rule); err != nil {
		return ruleError(err, "immutability rule "+strconv.FormatInt(id, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opRuleUpdate, ResourceType: "immutable_rule", Resource: p.Name + "/" + strconv.FormatInt(id, 10),
		Project: p.Name, Detail: map[string]string{"disabled": strconv.FormatBool(rule.Disabled)}})
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteImmutableRule is DELETE /projects/{p}/immutabletagrules/{id}
// (write).
func (a *API) deleteImmutableRule(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.ruleTarget(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteImmutableRule(r.Context(), p.ID, id); err != nil {
		return storeError(err, "immutability rule "+strconv.FormatInt(id, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opRuleDelete, ResourceType: "immutable_rule", Resource: p.Name + "/" + strconv.FormatInt(id, 10), Project: p.Name})
	w.WriteHeader(http.StatusOK)
	return nil
}

// immutableError is the 412 for a write an immutability rule refuses, or
// nil if err is not one.
func immutableError(err error) error {
	var im *meta.ImmutableTagError
	if !errors.As(err, &im) {
		return nil
	}
	return newError(http.StatusPreconditionFailed, CodePrecondition,
		"tag %s of %s is immutable (immutability rule %d of project %s): it cannot be overwritten or deleted",
		im.Tag, im.Repository, im.RuleID, meta.ProjectOf(im.Repository))
}
