//go:build linux

package scoreboard

import (
	"os"

	"golang.org/x/sys/unix"
)

// newSharedFile makes an anonymous memory file of n bytes. It is not
// close-on-exec-safe by itself: exec.Cmd.ExtraFiles passes it on purpose.
func newSharedFile(name string, n int) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	if err := f.Truncate(int64(n)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
