// Package cli implements the berth subcommands that manage a Berth server
// through its management API (login, logout, project, repo, artifact, tag,
// user, member, robot, token, logs, info) and the offline admin commands
// that act on the local metadata store while the server may be stopped
// (admin).
//
// Each command is a Func that receives its standard streams, environment
// and collaborators in an Env, so tests run commands in-process without
// touching the real terminal, environment or home directory. Main adapts a
// Func to the process for internal/app's command table.
package cli
