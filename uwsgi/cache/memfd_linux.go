//go:build linux

package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

// newSharedFile makes anonymous memory of n bytes, close-on-exec (the
// master passes it to workers explicitly).
func newSharedFile(name string, n int64) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	if err := f.Truncate(n); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
