package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// group is a command with subcommands ("berth project list").
type group struct {
	name    string // "project"
	summary string
	subs    []subcommand
}

// subcommand is one entry of a group.
type subcommand struct {
	name    string
	summary string
	run     Func
}

// run dispatches args[0] to a subcommand.
func (g group) run(ctx context.Context, e *Env, args []string) int {
	if len(args) == 0 {
		g.usage(e.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		g.usage(e.Stdout)
		return exitOK
	}
	for _, s := range g.subs {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	if strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.Stderr, "berth %s: %s: the subcommand comes first, then its flags\n\n", g.name, args[0])
		g.usage(e.Stderr)
		return exitUsage
	}
	fmt.Fprintf(e.Stderr, "berth %s: unknown subcommand %q\n\n", g.name, args[0])
	g.usage(e.Stderr)
	return exitUsage
}

func (g group) usage(w io.Writer) {
	fmt.Fprintf(w, "berth %s: %s\n\nUsage:\n  berth %s <subcommand> [flags]\n\nSubcommands:\n", g.name, g.summary, g.name)
	width := 0
	for _, s := range g.subs {
		width = max(width, len(s.name))
	}
	for _, s := range g.subs {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'berth %s <subcommand> --help' for its arguments and flags.\n", g.name)
}

// cmd is one invocation of a (sub)command: its flag set, the global flags
// and where to write.
type cmd struct {
	*Env
	name     string // "berth project create", for messages
	synopsis string // the usage line and description
	fs       *flag.FlagSet

	remote bool   // talks to a server: has --server and --output
	server string // --server
	output string // --output

	creds credentials // what client() authenticates with
}

// newCmd starts a command. name is without "berth "; synopsis follows
// "usage: " in the help. remote commands get --server and --output.
func (e *Env) newCmd(name, synopsis string, remote bool) *cmd {
	c := &cmd{Env: e, name: "berth " + name, synopsis: synopsis, remote: remote, output: "table",
		fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	if remote {
		c.fs.StringVar(&c.server, "server", "", "server URL or host:port (default: env "+envServer+", else the server of the last login)")
		c.outputFlag()
	}
	return c
}

// outputFlag adds --output to a command that is not remote.
func (c *cmd) outputFlag() {
	c.fs.StringVar(&c.output, "output", "table", "output format: table or json")
	c.fs.StringVar(&c.output, "o", "table", "short for --output")
}

// parse parses args, flags and positional arguments in any order ("--"
// ends the flags), and checks there are between min and max positional
// arguments (max < 0: no limit). On -h it prints the help to stdout; on a
// bad command line it prints the error and the help to stderr. ok is false
// when the caller should return code.
func (c *cmd) parse(args []string, minArgs, maxArgs int) (pos []string, code int, ok bool) {
	var msg bytes.Buffer
	c.fs.SetOutput(&msg)
	c.fs.Usage = func() {}
	pos, err := parseInterspersed(c.fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.usage(c.Stdout)
		return nil, exitOK, false
	case err != nil:
		fmt.Fprintln(c.Stderr, strings.TrimRight(msg.String(), "\n"))
		c.usage(c.Stderr)
		return nil, exitUsage, false
	case len(pos) < minArgs:
		fmt.Fprintf(c.Stderr, "%s: missing argument\n", c.name)
		c.usage(c.Stderr)
		return nil, exitUsage, false
	case maxArgs >= 0 && len(pos) > maxArgs:
		fmt.Fprintf(c.Stderr, "%s: unexpected argument %q\n", c.name, pos[maxArgs])
		c.usage(c.Stderr)
		return nil, exitUsage, false
	case c.output != "table" && c.output != "json":
		fmt.Fprintf(c.Stderr, "%s: --output %q: want table or json\n", c.name, c.output)
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

// usageError reports a bad argument value found after parsing.
func (c *cmd) usageError(format string, args ...any) int {
	fmt.Fprintf(c.Stderr, "%s: %s\n", c.name, fmt.Sprintf(format, args...))
	c.usage(c.Stderr)
	return exitUsage
}

// parseInterspersed parses flags that may appear between positional
// arguments and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *cmd) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\nflags:\n", c.synopsis)
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
}

// fail prints err and returns the failure exit code.
func (c *cmd) fail(err error) int {
	fmt.Fprintf(c.Stderr, "%s: %v\n", c.name, err)
	return exitError
}

// done returns exitOK for a nil err, else fails with it.
func (c *cmd) done(err error) int {
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}

// show writes v as indented JSON with --output json, else the table that
// rows writes (header first, tab-separated cells, one row per line).
func (c *cmd) show(v any, rows func(t *table)) int {
	if c.output == "json" {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		return c.done(enc.Encode(v))
	}
	t := &table{w: tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)}
	rows(t)
	return c.done(t.w.Flush())
}

// table is an aligned text table.
type table struct {
	w *tabwriter.Writer
}

// row writes one row; cells must not contain tabs or newlines (they are
// replaced by spaces).
func (t *table) row(cells ...string) {
	for i, s := range cells {
		cells[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, s)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

// given reports whether flag name was set on the command line.
func (c *cmd) given(name string) bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
