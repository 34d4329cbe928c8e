// Package httpx is Berth's HTTP plumbing: one middleware that gives every
// request an id, recovers from panics, writes an access log line with
// log/slog and records Prometheus metrics, plus the low-cardinality route
// label handlers set with SetRoute and a slog.Handler that adds the request
// id to every record logged with the request's context.
package httpx
