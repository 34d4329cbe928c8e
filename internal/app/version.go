package app

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at build time:
//
//	go build -ldflags "-X github.com/berth-oci/berth/internal/app.version=v0.1.0 -X github.com/berth-oci/berth/internal/app.commit=$(git rev-parse --short HEAD)" ./cmd/berth
var (
	version = "dev"
	commit  = ""
)

// Version returns the version and commit Berth was built with. Without
// -ldflags the commit comes from the Go toolchain's VCS stamp, if any.
func Version() (ver, rev string) {
	rev = commit
	if rev == "" {
		rev = "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					rev = s.Value
				}
			}
		}
	}
	return version, rev
}

func printVersion(w io.Writer) {
	ver, rev := Version()
	fmt.Fprintf(w, "berth %s (commit %s, %s %s/%s)\n", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
