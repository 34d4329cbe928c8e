// Package metatest is the conformance suite for meta.Store implementations.
// Every implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		metatest.Run(t, func(t *testing.T) meta.Store { return newEmptyStore(t) })
//	}
//
// It checks every method and every documented error (ErrNotFound,
// ErrConflict, *MissingReferenceError), pagination and byte order, referrers,
// upload sessions, counts, and concurrent writers of the same rows; run it
// with -race.
package metatest
