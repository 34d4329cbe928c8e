// Package filesystem is a driver.Driver that keeps objects as files under a
// root directory. Every path is resolved through an os.Root, so no path (nor
// a symbolic link planted under the root) can reach outside it.
//
// Durability follows the blob store's contract: Commit fsyncs the file, and
// the parent directory when the file (or any of its directories) was newly
// created; Move renames into place and fsyncs the destination directory, so
// a published blob appears atomically and survives power loss. Readers are
// *os.File so that net/http can serve them with sendfile.
package filesystem
