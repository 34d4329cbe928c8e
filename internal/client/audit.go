package client

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// AuditLog is one audit log event as the API returns it.
type AuditLog struct {
	ID           int64  `json:"id"`
	Username     string `json:"username"`
	Resource     string `json:"resource"`
	ResourceType string `json:"resource_type"`
	Operation    string `json:"operation"`
	OpTime       Time   `json:"op_time"`
}

// AuditQuery selects audit log events; zero fields select everything.
type AuditQuery struct {
	Project      string // only this project's events (its name)
	Username     string
	Operation    string // "push", "delete", "member.add", ...
	ResourceType string // "artifact", "tag", "member", ...
	Since        time.Time
	Limit        int // at most this many events; 0: all
}

// AuditLogs lists audit log events, newest first: those of q.Project when
// it is set, else every event the caller may read (all of them for system
// admins).
func (c *Client) AuditLogs(ctx context.Context, q AuditQuery) ([]AuditLog, error) {
	req := request{path: "/audit-logs"}
	if q.Project != "" {
		req.path = "/projects/" + seg(q.Project) + "/logs"
	}
	var terms []string
	for _, kv := range [][2]string{{"username", q.Username}, {"operation", q.Operation}, {"resource_type", q.ResourceType}} {
		if kv[1] != "" {
			// The server unescapes each value once more, as Harbor's does,
			// so a '+' in a robot's name is not read as a space.
			terms = append(terms, kv[0]+"="+url.QueryEscape(kv[1]))
		}
	}
	if !q.Since.IsZero() {
		terms = append(terms, "op_time=["+q.Since.UTC().Format(time.RFC3339Nano)+"~]")
	}
	if len(terms) > 0 {
		req.query = url.Values{"q": {strings.Join(terms, ",")}}
	}
	return listN[AuditLog](ctx, c, req, q.Limit)
}
