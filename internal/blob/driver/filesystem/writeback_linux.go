package filesystem

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing back a range of f without
// waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE). It is only a
// hint for throughput; durability still comes from the fsync in Commit.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
