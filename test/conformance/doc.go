// Package conformance checks a registry against the OCI Distribution Spec
// v1.1: the MUSTs, status codes and error codes of its four workflows (pull,
// push, content discovery, content management), written from the spec text.
//
// By default each top-level test starts Berth in-process on a temporary data
// directory. To test a running registry instead:
//
//	BERTH_CONFORMANCE_URL=http://127.0.0.1:5000 \
//	BERTH_CONFORMANCE_NAMESPACE=conformance/test \
//	go test ./test/conformance/
//
// Every test pushes into its own freshly named repository under the namespace,
// so tests run in parallel and can be rerun against a long-lived server.
//
// Where the spec leaves a choice to the registry (MAY / SHOULD), the tests
// accept every allowed answer unless Berth has made a choice; those places
// say "Berth:" in a comment.
package conformance
