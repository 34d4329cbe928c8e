package api

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
)

func (a *API) auditRoutes() {
	a.handle("GET /audit-logs", "audit_logs_list", a.listAuditLogs)
	a.handle("GET /projects/{project_name_or_id}/logs", "project_logs_list", a.listProjectLogs)
}

// auditLogJSON is Harbor's AuditLog.
type auditLogJSON struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	Resource     string    `json:"resource"`
	ResourceType string    `json:"resource_type"`
	Operation    string    `json:"operation"`
	OpTime       time.Time `json:"op_time"`
}

// listAuditLogs is GET /audit-logs: system admins see every event, other
// users the events of the projects where they have audit.read.
func (a *API) listAuditLogs(w http.ResponseWriter, r *http.Request) error {
	if caller(r).Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	projects, all, err := a.projectsWhere(r, access.ActionAuditRead)
	if err != nil {
		return err
	}
	var keys []meta.AuditFilter
	if all {
		keys = []meta.AuditFilter{f}
	}
	for _, p := range projects {
		k := f
		k.Project = p.Name
		keys = append(keys, k)
	}
	return a.writeAudit(w, r, keys)
}

// listProjectLogs is GET /projects/{project_name_or_id}/logs: audit.read on
// the project (guests and up).
func (a *API) listProjectLogs(w http.ResponseWriter, r *http.Request) error {
	p, err := a.identityProject(r)
	if err != nil {
		return err
	}
	if err := a.authorize(r, access.ActionAuditRead, access.ForProject(p.Name, p.Public)); err != nil {
		return err
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	f.Project = p.Name
	return a.writeAudit(w, r, []meta.AuditFilter{f})
}

// writeAudit answers one page of the events matching any of keys, newest
// first.
func (a *API) writeAudit(w http.ResponseWriter, r *http.Request, keys []meta.AuditFilter) error {
	page, size, err := pageParams(r)
	if err != nil {
		return err
	}
	events, total, err := pageAcross(r.Context(), keys, window(page, size),
		func(ctx context.Context, f meta.AuditFilter, w meta.Window) ([]meta.AuditEvent, error) {
			return a.store.ListAudit(ctx, f, w)
		},
		a.store.CountAudit,
		func(x, y meta.AuditEvent) int {
			if c := y.OccurredAt.Compare(x.OccurredAt); c != 0 {
				return c
			}
			return cmp.Compare(y.ID, x.ID)
		})
	if err != nil {
		return err
	}
	writePage(w, r, page, size, total, events, func(e meta.AuditEvent) auditLogJSON {
		return auditLogJSON{
			ID: e.ID, Username: e.Username, Resource: e.Resource, ResourceType: e.ResourceType,
			Operation: e.Operation, OpTime: e.OccurredAt,
		}
	})
	return nil
}

// auditTimeLayouts are the op_time formats accepted, each with the
// granularity that makes a range's upper bound inclusive.
var auditTimeLayouts = []struct {
	layout string
	step   time.Duration
}{
	{time.RFC3339Nano, time.Nanosecond},
	{time.DateTime, time.Second}, // what Harbor's UI sends
	{time.DateOnly, 24 * time.Hour},
}

// parseAuditTime parses one side of an op_time range; upper bounds are
// returned exclusive.
func parseAuditTime(v string, upper bool) (time.Time, error) {
	for _, l := range auditTimeLayouts {
		if t, err := time.Parse(l.layout, v); err == nil {
			if upper {
				t = t.Add(l.step)
			}
			return t, nil
		}
	}
	return time.Time{}, badRequest("op_time %q: want RFC 3339, %q or %q", v, time.DateTime, time.DateOnly)
}

// auditFilter reads q: username, operation and resource_type (exact), and
// op_time=[from~to] (either side may be empty; both inclusive).
func auditFilter(r *http.Request) (meta.AuditFilter, error) {
	var f meta.AuditFilter
	q, err := parseQuery(r, "username", "operation", "resource_type", "resource", "op_time")
	if err != nil {
		return f, err
	}
	if err := checkSort(r, "-op_time", "op_time desc"); err != nil {
		return f, err
	}
	if _, ok := q["resource"]; ok {
		return f, badRequest("q resource is not supported yet")
	}
	for k, dst := range map[string]*string{"username": &f.Username, "operation": &f.Operation, "resource_type": &f.ResourceType} {
		if t, ok := q[k]; ok {
			if t.Match != MatchExact {
				return f, badRequest("q %s must be an exact value (%s=x)", k, k)
			}
			*dst = t.Value
		}
	}
	if t, ok := q["op_time"]; ok {
		if t.Match != MatchRange {
			return f, badRequest("q op_time must be a range: op_time=[from~to]")
		}
		if t.Min != "" {
			if f.From, err = parseAuditTime(t.Min, false); err != nil {
				return f, err
			}
		}
		if t.Max != "" {
			if f.To, err = parseAuditTime(t.Max, true); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}
