// Package oci holds the pure values of the OCI Distribution and Image specs
// that every other package shares: repository names, tags and references,
// digests, manifest media types and parsing, and the table of OCI error codes.
// It does no I/O.
package oci
