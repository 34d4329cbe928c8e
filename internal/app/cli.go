package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/berth-oci/berth/internal/bench"
	"github.com/berth-oci/berth/internal/cli"
)

// Exit codes of Run.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command line is wrong
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the registry server", serve},
		{"bench", "benchmark a registry with a push/pull load", runBench},
		{"login", "log in to a Berth server and store the credentials", cli.Main(cli.Login)},
		{"logout", "remove a server's stored credentials", cli.Main(cli.Logout)},
		{"project", "list, create and delete projects", cli.Main(cli.Project)},
		{"repo", "list the repositories of a project", cli.Main(cli.Repo)},
		{"artifact", "list the artifacts of a repository", cli.Main(cli.Artifact)},
		{"tag", "list, create, delete and restore tags", cli.Main(cli.Tag)},
		{"immutable", "manage a project's tag immutability rules", cli.Main(cli.Immutable)},
		{"user", "manage user accounts", cli.Main(cli.User)},
		{"member", "manage project members and their roles", cli.Main(cli.Member)},
		{"robot", "manage robot accounts", cli.Main(cli.Robot)},
		{"token", "manage your personal access tokens", cli.Main(cli.Token)},
		{"logs", "show the audit log", cli.Main(cli.Logs)},
		{"info", "show a server's version, settings and health", cli.Main(cli.Info)},
		{"admin", "offline administration of the local store (users, passwords)", cli.Main(cli.Admin(openAdminStore))},
		{"token-key", "list, rotate and retire the token signing keys", runTokenKey},
		{"gc", "collect garbage in the local store and storage (dry run, untagged, orphans)", runGC},
		{"version", "print the version and exit", runVersion},
		{"help", "show this help, or a command's flags (berth help serve)", runHelp},
	}
}

// Run is the berth command line: args are the arguments after the program
// name. It returns the process exit code: 0 on success, 1 when the command
// failed, 2 for a usage error. Canceling ctx (SIGINT, SIGTERM) stops serve
// gracefully.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "-v", "-version", "--version":
		return runVersion(ctx, nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "berth: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Berth is an OCI container registry.\n\nUsage:\n  berth <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s  %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'berth <command> --help' for a command's flags.\n")
}

func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: berth help [command]")
		return exitUsage
	}
	if args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return Run(ctx, []string{args[0], "--help"}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "berth help: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code, ok := parseFlags(fs, args, "berth version", stdout, stderr); !ok {
		return code
	}
	printVersion(stdout)
	return exitOK
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := bench.Run(ctx, args, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintln(stderr, "berth bench: interrupted")
		return exitError
	}
	fmt.Fprintf(stderr, "berth bench: %v\n", err)
	return exitError
}

// parseFlags parses args into fs. On -h it prints the flags to stdout; on a
// bad flag or a stray argument it prints the error and the flags to stderr.
// ok is false when the caller should return code.
func parseFlags(fs *flag.FlagSet, args []string, synopsis string, stdout, stderr io.Writer) (code int, ok bool) {
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: %s\n", synopsis)
		if hasFlags(fs) {
			fmt.Fprintln(w, "\nflags:")
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(&msg)
		}
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return exitOK, false
	case err != nil:
		fmt.Fprint(stderr, strings.TrimRight(msg.String(), "\n")+"\n")
		printUsage(stderr)
		return exitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		printUsage(stderr)
		return exitUsage, false
	}
	return exitOK, true
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}
