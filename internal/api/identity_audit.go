package api

import (
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
	ID           int64      `json:"id"`
	Username     string     `json:"username"`
	Resource     string     `json:"resource"`
	ResourceType string     `json:"resource_type"`
	Operation    string     `json:"operation"`
	OpTime       harborTime `json:"op_time"`
}

// listAuditLogs is GET /audit-logs: system admins see every event, other
// users the events of the projects where they have audit.read, in one
// query.
func (a *API) listAuditLogs(w http.ResponseWriter, r *http.Request) error {
	if caller(r).Anonymous() {
		return newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	set := a.eval.Projects(caller(r).Principal, access.ActionAuditRead, a.now())
	if !set.All {
		if f.Projects, err = a.projectNames(r.Context(), set); err != nil {
			return err
		}
	}
	return a.writeAudit(w, r, f)
}

// listProjectLogs is GET /projects/{project_name_or_id}/logs: audit.read on
// the project (guests and up).
func (a *API) listProjectLogs(w http.ResponseWriter, r *http.Request) error {
	p, err := a.project(r, access.ActionAuditRead)
	if err != nil {
		return err
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	f.Project = p.Name
	return a.writeAudit(w, r, f)
}

// writeAudit answers one page of the events matching f, newest first.
func (a *API) writeAudit(w http.ResponseWriter, r *http.Request, f meta.AuditFilter) error {
	return servePage(w, r,
		func(ctx context.Context) (int64, error) { return a.store.CountAudit(ctx, f) },
		func(ctx context.Context, win meta.Window) ([]meta.AuditEvent, error) {
			return a.store.ListAudit(ctx, f, win)
		},
		func(e meta.AuditEvent) auditLogJSON {
			return auditLogJSON{
				ID: e.ID, Username: e.Username, Resource: e.Resource, ResourceType: e.ResourceType,
				Operation: e.Operation, OpTime: harborTime(e.OccurredAt),
			}
		})
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

// auditFilter reads q: username and resource (exact, or a part with
// =~), operation and resource_type (exact), and op_time=[from~to] (either
// side may be empty; both inclusive).
func auditFilter(r *http.Request) (meta.AuditFilter, error) {
	var f meta.AuditFilter
	q, err := parseQuery(r, "username", "operation", "resource_type", "resource", "op_time")
	if err != nil {
		return f, err
	}
	if err := checkSort(r, "-op_time", "op_time desc"); err != nil {
		return f, err
	}
	if f.Username, f.UsernameContains, err = fuzzy(q, "username"); err != nil {
		return f, err
	}
	if f.Resource, f.ResourceContains, err = fuzzy(q, "resource"); err != nil {
		return f, err
	}
	for k, dst := range map[string]*string{"operation": &f.Operation, "resource_type": &f.ResourceType} {
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
