// Package app is Berth's composition root, the only package that knows the
// configuration and the concrete backends: New opens the metadata store and
// the blob driver named by a config.Config and wires the services and HTTP
// handlers over them; Run is the command line (serve, bench, version, help)
// that cmd/berth calls.
package app
