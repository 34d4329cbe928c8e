// Package authz holds black-box authorization tests: an in-process Berth,
// set up through its management API, driven over HTTP as every kind of
// caller. The permission matrix checks each role against each registry and
// API operation on a public and a private project, with basic auth and with
// tokens from the token service.
package authz
