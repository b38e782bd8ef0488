package socket

import (
	"os"
	"syscall"
	"time"
)

// FileID identifies a file's content version: replaced or modified files
// get a different one.
type FileID struct {
	Exists bool
	dev    uint64
	Ino    uint64
	size   int64
	Mtime  time.Time
}

// StatID identifies the file at path as it is now (see FileID).
func StatID(path string) FileID {
	fi, err := os.Stat(path)
	if err != nil {
		return FileID{}
	}
	id := FileID{Exists: true, size: fi.Size(), Mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.Ino = uint64(st.Dev), st.Ino
	}
	return id
}

// RawFD returns f's descriptor without Fd(), which would switch a
// non-blocking socket (and every descriptor sharing it) to blocking mode.
func RawFD(f *os.File) uintptr {
	rc, err := f.SyscallConn()
	if err != nil {
		return f.Fd()
	}
	var fd uintptr
	_ = rc.Control(func(p uintptr) { fd = p })
	return fd
}
