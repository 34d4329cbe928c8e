package api

import (
	"context"
	"fmt"
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

// projectsIn returns the projects of set, which must not be All, in name
// order. Names of projects that no longer exist are skipped.
func (a *API) projectsIn(ctx context.Context, set access.ProjectSet) ([]meta.Project, error) {
	ps, err := a.store.ListProjects(ctx, meta.ProjectFilter{Scope: scope(set)}, meta.Window{})
	if err != nil {
		return nil, fmt.Errorf("projects in scope: %w", err)
	}
	return ps, nil
}

// projectNames returns the names of the projects of set, which must not be
// All, as a non-nil slice for a filter by project name. Only a set with
// public projects needs the store.
func (a *API) projectNames(ctx context.Context, set access.ProjectSet) ([]string, error) {
	if !set.Public {
		return append([]string{}, set.Names...), nil
	}
	ps, err := a.projectsIn(ctx, set)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names, nil
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
