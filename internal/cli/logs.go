package cli

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/client"
)

const logsSynopsis = `berth logs [--project P] [--user U] [--operation OP] [--since DURATION|TIME] [--limit N]

Lists audit log events, newest first: with --project those of project P
(guests and up may read them), else every event for system admins and the
events of the projects you may read for other users. OP is an operation
such as push, pull, delete, tag, login, member.add, robot.create,
user.create or token.create. --since takes a duration back from now (90m,
24h, 7d) or a time: RFC 3339, or YYYY-MM-DD[ HH:MM:SS] in local time.`

// Logs is "berth logs": the audit log.
func Logs(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("logs", logsSynopsis, true)
	var q client.AuditQuery
	c.fs.StringVar(&q.Project, "project", "", "only the events of this project")
	c.fs.StringVar(&q.Username, "user", "", "only the events of this user or robot")
	c.fs.StringVar(&q.Operation, "operation", "", "only events of this operation")
	since := c.fs.String("since", "", "only events since this duration ago or this time")
	c.fs.IntVar(&q.Limit, "limit", 50, "show at most N events; 0 for all")
	if _, code, ok := c.parse(args, 0, 0); !ok {
		return code
	}
	if q.Limit < 0 {
		return c.usageError("--limit %d: want 0 or more", q.Limit)
	}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return c.usageError("--since %q: %v", *since, err)
		}
		q.Since = t
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	logs, err := api.AuditLogs(ctx, q)
	if err != nil {
		return c.fail(err)
	}
	return c.show(logs, func(t *table) {
		t.row("TIME", "USER", "OPERATION", "RESOURCE TYPE", "RESOURCE")
		for _, l := range logs {
			t.row(when(l.OpTime.Time), l.Username, l.Operation, l.ResourceType, l.Resource)
		}
	})
}

// sinceLayouts are the times --since takes besides RFC 3339; they are
// local times.
var sinceLayouts = []string{time.DateTime, "2006-01-02T15:04:05", time.DateOnly}

// parseSince parses --since: a duration before now ("90m", "24h", or
// whole days "7d") or a time.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return now.AddDate(0, 0, -days), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, errors.New("the duration must not be negative")
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, l := range sinceLayouts {
		if t, err := time.ParseInLocation(l, s, now.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want a duration (90m, 24h, 7d) or a time (RFC 3339, or YYYY-MM-DD[ HH:MM:SS])")
}
