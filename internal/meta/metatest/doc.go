// Package metatest is the conformance suite for meta.Store implementations.
// Every implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		metatest.Run(t, func(t *testing.T) meta.Store { return newEmptyStore(t) })
//	}
//
// It checks every method and every documented error (ErrNotFound,
// ErrConflict, *MissingReferenceError), pagination and byte order, referrers,
// upload sessions, counts, and concurrent writers of the same rows; and the
// identity aggregates: projects (unique names, the delete refused while a
// repository holds a manifest, cascades), users (cascade to memberships and
// tokens), memberships, robot accounts and their permissions, access tokens
// (revocation, pruning), the audit log (filters, offset and keyset pages,
// pruning) and pull statistics (exact under concurrent increments). Run it
// with -race.
package metatest
