package shm

import (
	"os"

	"golang.org/x/sys/unix"
)

// NewFile makes an anonymous memory file of n bytes, close-on-exec: the
// master passes it to workers explicitly.
func NewFile(name string, n int64) (*os.File, error) {
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
