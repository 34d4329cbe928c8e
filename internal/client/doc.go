// Package client is a small typed client for Berth's management API
// (/api/v2.0/, Harbor v2.0 shapes): projects, repositories, artifacts and
// tags, users, project members, robot accounts, the caller's personal
// access tokens, the audit log, and the server's information and health.
// It covers the calls the berth command line needs and nothing more.
//
// Requests authenticate with HTTP basic auth (a user's password, a robot's
// secret or a personal access token). Error responses in Harbor's shape,
// {"errors":[{"code","message"}]}, come back as *Error carrying the HTTP
// status and the code; list calls follow page/page_size and X-Total-Count
// until every entry has been read (or a limit is reached). Times in
// responses are read tolerantly (Time): RFC 3339 with or without
// fractional seconds, or null.
package client
