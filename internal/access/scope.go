package access

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/oci"
)

// ErrInvalidScope is wrapped by every ParseScope error.
var ErrInvalidScope = errors.New("access: invalid scope")

// Resource types and the names and actions of Docker token scopes that Berth
// understands. Other types, names and actions parse but are never granted.
const (
	// ScopeRepository is the type of a repository scope,
	// "repository:<name>:<actions>".
	ScopeRepository = "repository"
	// ScopeRegistry is the type of the catalog scope, "registry:catalog:*".
	ScopeRegistry = "registry"
	// ScopeCatalog is the name of the catalog scope.
	ScopeCatalog = "catalog"
	// ScopeAll is the wildcard action: on a repository it asks for every
	// action the caller may have (Grant expands it); on the catalog it is the
	// only action.
	ScopeAll = "*"
)

// MaxScopeActions bounds the actions in one scope.
const MaxScopeActions = 16

// Scope is one resource scope of the Docker Registry token spec, as a client
// asks for it ("repository:library/nginx:pull,push") and as a token grants it
// (an entry of the JWT's "access" claim, which its JSON form matches).
type Scope struct {
	// Type is the resource type: "repository", "registry", ...
	Type string `json:"type"`
	// Class is the optional resource class, "plugin" in
	// "repository(plugin):name:pull". It does not affect authorization.
	Class string `json:"class,omitempty"`
	// Name is the resource name: a repository's full name, or "catalog".
	Name string `json:"name"`
	// Actions are the actions asked for or granted.
	Actions []string `json:"actions"`
}

var (
	scopeTypeRE   = regexp.MustCompile(`^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$`)
	scopeNameRE   = regexp.MustCompile(`^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$`)
	scopeActionRE = regexp.MustCompile(`^(?:\*|[a-z][a-z0-9-]{0,31})$`)
)

// ParseScope parses one scope of the token spec:
//
//	repository:<name>:<action>[,<action>...]
//	repository(plugin):<name>:<action>[,<action>...]
//	registry:catalog:*
//
// The type is lower-case alphanumerics with an optional "(class)". The name
// is a repository path without a registry host: it contains no ':' (so
// "localhost:5000/x" is refused), and for repository scopes it must be a
// valid repository name. Actions are comma-separated, each "*" or a
// lower-case word ("pull", "push", "delete", and unknown ones such as
// "scanner-pull", which parse but are never granted); none may be empty.
// Errors wrap ErrInvalidScope.
func ParseScope(s string) (Scope, error) {
	bad := func(why string) (Scope, error) {
		return Scope{}, fmt.Errorf("%w %q: %s", ErrInvalidScope, s, why)
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return bad("want type:name:actions, with no registry host in the name")
	}
	m := scopeTypeRE.FindStringSubmatch(parts[0])
	if m == nil {
		return bad("malformed resource type")
	}
	sc := Scope{Type: m[1], Class: m[2], Name: parts[1]}
	if sc.Type == ScopeRepository {
		if err := oci.ValidateName(sc.Name); err != nil {
			return bad("invalid repository name")
		}
	} else if len(sc.Name) > oci.MaxNameLength || !scopeNameRE.MatchString(sc.Name) {
		return bad("malformed resource name")
	}
	acts := strings.Split(parts[2], ",")
	if len(acts) > MaxScopeActions {
		return bad("too many actions")
	}
	for _, a := range acts {
		if !scopeActionRE.MatchString(a) {
			return bad("malformed action")
		}
	}
	sc.Actions = acts
	return sc, nil
}

// ParseScopes parses the values of a token request's repeated "scope"
// parameter, each of which may hold several scopes separated by spaces.
// Empty values are skipped. It fails on the first malformed scope.
func ParseScopes(values []string) ([]Scope, error) {
	var out []Scope
	for _, v := range values {
		for _, f := range strings.Fields(v) {
			sc, err := ParseScope(f)
			if err != nil {
				return nil, err
			}
			out = append(out, sc)
		}
	}
	return out, nil
}

// String returns the scope in the token spec's form, which ParseScope
// accepts back if the scope is valid.
func (s Scope) String() string {
	t := s.Type
	if s.Class != "" {
		t += "(" + s.Class + ")"
	}
	return t + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}

// tokenActions are the repository actions a token can carry, in the order
// Grant lists them.
var tokenActions = []Action{ActionPull, ActionPush, ActionDelete}

// ProjectLookup reports whether the project of the named repository is
// public and whether it exists. Grant calls it at most once per requested
// repository scope, only for valid names with a project; it must not be nil
// when repository scopes are requested.
type ProjectLookup func(repo string) (public, exists bool)

// Grant returns the scopes a token for p may carry: the intersection of what
// was requested and what Allowed permits at instant now. For each requested
// repository scope, whatever its class:
//
//   - "pull", "push" and "delete" are granted if allowed; "*" stands for all
//     three; any other action is ignored;
//   - asking for push also grants pull when pull is allowed, because Docker
//     clients check for blobs (a pull) before pushing them;
//   - a repository whose project does not exist is granted to system admins
//     only, so that a token issued before a project exists never opens it to
//     others; the registry then refuses the push with a clear error;
//   - a repository name without a project, or invalid, grants nothing.
//
// "registry:catalog:*" is granted to whoever ActionCatalog allows (every
// active user and robot); the catalog itself is filtered with Pullable.
// Other types and names are ignored. Scopes for the same type, class and
// name are merged; scopes left with no action are omitted; granted actions
// are listed as pull, push, delete, never "*". Grant never returns a scope
// that was not asked for, so access to repository A never leaks to B.
func (e *Evaluator) Grant(p Principal, requested []Scope, projectOf ProjectLookup, now time.Time) []Scope {
	var out []Scope
	type key struct{ typ, class, name string }
	index := map[key]int{}
	for _, req := range requested {
		var acts []string
		switch {
		case req.Type == ScopeRepository:
			acts = e.grantRepository(p, req, projectOf, now)
		case req.Type == ScopeRegistry && req.Class == "" && req.Name == ScopeCatalog:
			for _, a := range req.Actions {
				if a == ScopeAll && e.Allowed(p, ActionCatalog, Resource{}, now) {
					acts = []string{ScopeAll}
				}
			}
		}
		if len(acts) == 0 {
			continue
		}
		k := key{req.Type, req.Class, req.Name}
		if i, ok := index[k]; ok {
			out[i].Actions = mergeActions(out[i].Actions, acts)
			continue
		}
		index[k] = len(out)
		out = append(out, Scope{Type: req.Type, Class: req.Class, Name: req.Name, Actions: acts})
	}
	return out
}

// grantRepository returns the actions of one repository scope that p gets.
func (e *Evaluator) grantRepository(p Principal, req Scope, projectOf ProjectLookup, now time.Time) []string {
	if oci.ValidateName(req.Name) != nil || ProjectOf(req.Name) == "" {
		return nil
	}
	want := map[Action]bool{}
	for _, a := range req.Actions {
		switch Action(a) {
		case ActionPull, ActionPush, ActionDelete:
			want[Action(a)] = true
		case ScopeAll:
			for _, t := range tokenActions {
				want[t] = true
			}
		}
	}
	if want[ActionPush] {
		want[ActionPull] = true
	}
	if len(want) == 0 {
		return nil
	}
	public, exists := projectOf(req.Name)
	if !exists && !p.admin(now) {
		return nil
	}
	r := ForRepository(req.Name, public)
	var acts []string
	for _, t := range tokenActions {
		if want[t] && e.Allowed(p, t, r, now) {
			acts = append(acts, string(t))
		}
	}
	return acts
}

// mergeActions returns the union of two granted action lists in Grant's
// order: "*" (the catalog's only action), then pull, push, delete.
func mergeActions(a, b []string) []string {
	var out []string
	for _, x := range []string{ScopeAll, string(ActionPull), string(ActionPush), string(ActionDelete)} {
		if slices.Contains(a, x) || slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Permits reports whether the granted scopes (a verified token's access
// claim) hold action on the resource of the given type and name, e.g.
// Permits(claims, "repository", "library/nginx", "pull") or
// Permits(claims, "registry", "catalog", "*"). Matching is exact: the
// class is ignored, "*" matches only "*", and a grant for one repository
// never matches another.
func Permits(granted []Scope, typ, name, action string) bool {
	for _, g := range granted {
		if g.Type != typ || g.Name != name {
			continue
		}
		if slices.Contains(g.Actions, action) {
			return true
		}
	}
	return false
}
