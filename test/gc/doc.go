// Package gc tests online garbage collection end to end against an
// in-process Berth: the seeds' scenario (push, delete by digest, collect:
// the storage shrinks back to almost nothing) and collection in a loop while
// workers push, pull and delete images that share layers, after which every
// tag pulls completely and every blob matches its digest.
package gc
