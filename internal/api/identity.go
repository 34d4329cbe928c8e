package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
)

// identityRoutes registers users, members, robots, audit logs and personal
// access tokens.
func (a *API) identityRoutes() {
	a.userRoutes()
	a.memberRoutes()
	a.robotRoutes()
	a.auditRoutes()
	a.tokenRoutes()
}

// Password policy, as Harbor's: 8 to 128 characters with at least one
// upper-case letter, one lower-case letter and one digit.
const (
	minPasswordLen = 8
	maxPasswordLen = 128
)

// checkPasswordPolicy returns a 400 naming what field (a user's password,
// a robot's secret) lacks, or nil.
func checkPasswordPolicy(field, pw string) error {
	n := len([]rune(pw))
	if n < minPasswordLen || n > maxPasswordLen {
		return badRequest("%s must be %d to %d characters long", field, minPasswordLen, maxPasswordLen)
	}
	var upper, lower, digit bool
	for _, c := range pw {
		upper = upper || unicode.IsUpper(c)
		lower = lower || unicode.IsLower(c)
		digit = digit || unicode.IsDigit(c)
	}
	if !upper || !lower || !digit {
		return badRequest("%s must contain at least one upper-case letter, one lower-case letter and one digit", field)
	}
	return nil
}

// identityProject resolves the {project_name_or_id} path parameter as
// Harbor does: a number is a project id unless the X-Is-Resource-Name
// header is "true"; anything else is a name.
func (a *API) identityProject(r *http.Request) (meta.Project, error) {
	v := r.PathValue("project_name_or_id")
	var (
		p   meta.Project
		err error
	)
	if id, perr := strconv.ParseInt(v, 10, 64); perr == nil && !strings.EqualFold(r.Header.Get("X-Is-Resource-Name"), "true") {
		p, err = a.store.GetProject(r.Context(), id)
	} else {
		p, err = a.store.GetProjectByName(r.Context(), v)
	}
	if err != nil {
		return meta.Project{}, storeError(err, "project "+strconv.Quote(v))
	}
	return p, nil
}

// pathID reads a positive integer path parameter, or returns a 400.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%s must be a positive integer", name)
	}
	return id, nil
}

// checkSort accepts a sort parameter only when it asks for the order the
// listing already has (one of accepted, or none): the store has one order
// per listing, and a silently different order would mislead clients.
func checkSort(r *http.Request, accepted ...string) error {
	s := r.URL.Query().Get("sort")
	if s == "" || slices.Contains(accepted, s) {
		return nil
	}
	return badRequest("sort %q is not supported here (supported: %s)", s, strings.Join(accepted, ", "))
}

// maxMergedDepth bounds how deep (page*page_size) a listing merged across
// several projects may go: each project's listing is read from its start.
const maxMergedDepth = 10000

// pageAcross returns window w of the union of one ordered listing per key
// (list and count read one key's), merged in order cmp, with the union's
// total. With one key it reads that key's window directly.
func pageAcross[K, T any](ctx context.Context, keys []K, w meta.Window,
	list func(context.Context, K, meta.Window) ([]T, error),
	count func(context.Context, K) (int64, error),
	order func(a, b T) int,
) ([]T, int64, error) {
	var total int64
	for _, k := range keys {
		n, err := count(ctx, k)
		if err != nil {
			return nil, 0, err
		}
		total += n
	}
	if len(keys) == 1 {
		items, err := list(ctx, keys[0], w)
		return items, total, err
	}
	depth := w.Offset + w.Limit
	if depth > maxMergedDepth {
		return nil, 0, badRequest("page too deep: at most %d entries can be paged through here; narrow the query", maxMergedDepth)
	}
	var all []T
	for _, k := range keys {
		items, err := list(ctx, k, meta.Window{Limit: depth})
		if err != nil {
			return nil, 0, err
		}
		all = append(all, items...)
	}
	slices.SortStableFunc(all, order)
	if w.Offset >= len(all) {
		return []T{}, total, nil
	}
	return all[w.Offset:min(len(all), depth)], total, nil
}

// projectsWhere returns the projects (resolved by name) in which the caller
// may perform the project-scoped action act, or all=true when that is every
// project. Projects that no longer exist are skipped.
func (a *API) projectsWhere(r *http.Request, act access.Action) (projects []meta.Project, all bool, err error) {
	set := a.eval.Projects(caller(r).Principal, act, a.now())
	if set.All {
		return nil, true, nil
	}
	for _, name := range set.Names {
		p, err := a.store.GetProjectByName(r.Context(), name)
		if err != nil {
			if errors.Is(err, meta.ErrNotFound) { // deleted since the caller logged in
				continue
			}
			return nil, false, err
		}
		if a.eval.Allowed(caller(r).Principal, act, access.ForProject(p.Name, p.Public), a.now()) {
			projects = append(projects, p)
		}
	}
	slices.SortFunc(projects, func(x, y meta.Project) int { return cmp.Compare(x.Name, y.Name) })
	return projects, false, nil
}

// servePage answers one page (page, page_size) of a listing that count and
// list read, each item converted by out, with Harbor's X-Total-Count and
// Link headers.
func servePage[T, J any](w http.ResponseWriter, r *http.Request,
	count func(context.Context) (int64, error),
	list func(context.Context, meta.Window) ([]T, error),
	out func(T) J,
) error {
	page, size, err := pageParams(r)
	if err != nil {
		return err
	}
	total, err := count(r.Context())
	if err != nil {
		return err
	}
	items, err := list(r.Context(), window(page, size))
	if err != nil {
		return err
	}
	writePage(w, r, page, size, total, items, out)
	return nil
}

// writePage writes items, converted by out, as one page of total.
func writePage[T, J any](w http.ResponseWriter, r *http.Request, page, size int, total int64, items []T, out func(T) J) {
	body := make([]J, 0, len(items))
	for _, it := range items {
		body = append(body, out(it))
	}
	setPageHeaders(w, r, page, size, total)
	writeJSON(w, http.StatusOK, body)
}
