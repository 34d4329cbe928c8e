package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/term"
)

// Exit codes of every command.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command line is wrong
)

// Env is what a command may use of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable (os.Getenv in production).
	Getenv func(string) string
	// Terminal reports whether Stdin is an interactive terminal; only then
	// do commands prompt.
	Terminal bool
	// ReadPassword reads one line from the terminal without echoing it.
	// It is used only when Terminal is true.
	ReadPassword func() (string, error)
	// HTTPClient sends API requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Func is a berth command: args are the arguments after the command's
// name. It returns the process exit code: 0 on success, 1 when the command
// failed, 2 for a usage error.
type Func func(ctx context.Context, env *Env, args []string) int

// Main adapts fn to internal/app's command table: it runs fn with the
// process's standard input, environment and terminal.
func Main(fn Func) func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		fd := int(os.Stdin.Fd())
		env := &Env{
			Stdin:    os.Stdin,
			Stdout:   stdout,
			Stderr:   stderr,
			Getenv:   os.Getenv,
			Terminal: term.IsTerminal(fd),
			ReadPassword: func() (string, error) {
				b, err := term.ReadPassword(fd)
				return string(b), err
			},
		}
		return fn(ctx, env, args)
	}
}

func (e *Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// errNoTerminal is returned when a secret is needed, none was given and
// standard input is not a terminal to prompt on.
var errNoTerminal = errors.New("standard input is not a terminal, so berth cannot prompt")

// readLine reads one line from r a byte at a time (no read-ahead, so a
// later read of the same stream sees the rest), without the line ending.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
		}
		if errors.Is(err, io.EOF) {
			if b.Len() == 0 {
				return "", io.ErrUnexpectedEOF
			}
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// secretFromStdin reads a secret given with --password-stdin: the first
// line of standard input.
func (e *Env) secretFromStdin() (string, error) {
	if e.Stdin == nil {
		return "", errors.New("--password-stdin: no standard input")
	}
	s, err := readLine(e.Stdin)
	if err != nil {
		return "", fmt.Errorf("--password-stdin: read standard input: %w", err)
	}
	if s == "" {
		return "", errors.New("--password-stdin: the first line of standard input is empty")
	}
	return s, nil
}

// prompt asks for a line with echo on the terminal.
func (e *Env) prompt(label string) (string, error) {
	if !e.Terminal {
		return "", errNoTerminal
	}
	fmt.Fprint(e.Stderr, label)
	return readLine(e.Stdin)
}

// promptSecret asks for a secret without echo on the terminal; with
// confirm it asks twice and insists the two match.
func (e *Env) promptSecret(label string, confirm bool) (string, error) {
	if !e.Terminal || e.ReadPassword == nil {
		return "", errNoTerminal
	}
	fmt.Fprint(e.Stderr, label)
	s, err := e.ReadPassword()
	fmt.Fprintln(e.Stderr)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("empty password")
	}
	if confirm {
		fmt.Fprint(e.Stderr, "Repeat: ")
		again, err := e.ReadPassword()
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", err
		}
		if again != s {
			return "", errors.New("the passwords do not match")
		}
	}
	return s, nil
}
