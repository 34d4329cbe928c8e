// Package inmemory is a concurrency-safe driver.Driver that keeps objects in
// memory, for tests. It implements driver.Walker but deliberately not
// driver.Mover: like an object store, it cannot rename, so the blob store
// leaves a finished upload where it was written and records that location.
package inmemory
