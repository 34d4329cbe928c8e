// Command berth is the Berth OCI registry: berth serve runs it, berth help
// lists the other commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-oci/berth/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
