// Package e2e holds black-box tests that build the berth binary, start it on a loopback port
// and drive it over HTTP with real registry clients: the go-containerregistry and regclient
// libraries, and the crane, oras, regctl, skopeo and helm command-line tools when they are on
// PATH (scripts/install-tools.sh installs them; .ci/run puts them on PATH).
//
// The tests skip under `go test -short`. Set BERTH_E2E_REQUIRE_TOOLS=1 to turn a missing CLI
// from a skip into a failure (CI does), BERTH_E2E_RACE=1 to build the server with -race, and
// BERTH_E2E_BINARY=/path/to/berth to test a prebuilt binary instead of building ./cmd/berth.
package e2e
