package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/config"
)

const tokenKeySynopsis = "berth token-key list|rotate|retire KID [--config FILE] [--data DIR]\n\n" +
	"Manages the keys that sign registry tokens, in auth.token.keys_dir (shared by all replicas,\n" +
	"which pick changes up within a minute). rotate makes a new key the signer; older keys keep\n" +
	"verifying tokens until retired. Retire a key once the tokens it signed have expired\n" +
	"(auth.token.ttl, or 30 days if refresh tokens were issued with it)."

// runTokenKey serves "berth token-key".
func runTokenKey(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token-key", flag.ContinueOnError)
	var cfgFile, data string
	fs.StringVar(&cfgFile, "config", "", "YAML configuration file (env BERTH_CONFIG)")
	fs.StringVar(&data, "data", "", "data directory (env BERTH_DATA)")
	sub, rest := "", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		sub, rest = args[0], args[1:]
	}
	var kid string
	// Key ids are base64url and may start with '-': the first argument
	// after retire is the id unless it is one of this command's flags.
	if sub == "retire" && len(rest) > 0 && !isTokenKeyFlag(rest[0]) {
		kid, rest = rest[0], rest[1:]
	}
	if code, ok := parseFlags(fs, rest, tokenKeySynopsis, stdout, stderr); !ok {
		return code
	}
	if sub == "" || (sub == "retire") != (kid != "") {
		fmt.Fprintf(stderr, "usage: %s\n", tokenKeySynopsis)
		return exitUsage
	}
	cfg, err := config.Load(cfgFile, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "berth token-key: %v\n", err)
		return exitError
	}
	if data != "" {
		cfg = cfg.WithDataDir(data)
	}
	keys, err := token.LoadOrCreate(cfg.Auth.Token.KeysDir)
	if err != nil {
		fmt.Fprintf(stderr, "berth token-key: %v\n", err)
		return exitError
	}
	switch sub {
	case "list":
		active := keys.ActiveKeyID()
		for _, id := range keys.KeyIDs() {
			mark := ""
			if id == active {
				mark = "  (active: signs new tokens)"
			}
			fmt.Fprintf(stdout, "%s%s\n", id, mark)
		}
	case "rotate":
		id, err := keys.Rotate()
		if err != nil {
			fmt.Fprintf(stderr, "berth token-key rotate: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "new signing key %s\n", id)
	case "retire":
		if err := keys.Retire(kid); err != nil {
			fmt.Fprintf(stderr, "berth token-key retire: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "retired %s\n", kid)
	default:
		fmt.Fprintf(stderr, "berth token-key: unknown subcommand %q\nusage: %s\n", sub, tokenKeySynopsis)
		return exitUsage
	}
	return exitOK
}

// isTokenKeyFlag reports whether arg is a flag of "berth token-key".
func isTokenKeyFlag(arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return strings.HasPrefix(arg, "-") && (name == "config" || name == "data" || name == "h" || name == "help")
}
