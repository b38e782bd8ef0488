package engine

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// fileID identifies a file's content version: replaced or modified files
// get a different one.
type fileID struct {
	exists bool
	dev    uint64
	ino    uint64
	size   int64
	mtime  time.Time
}

func statID(path string) fileID {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}
	}
	id := fileID{exists: true, size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
	}
	return id
}

// listenerFile returns a duplicate descriptor of the listener, to pass on.
func listenerFile(ln net.Listener) (*os.File, error) {
	type filer interface{ File() (*os.File, error) }
	f, ok := ln.(filer)
	if !ok {
		return nil, fmt.Errorf("listener %T cannot be passed to workers", ln)
	}
	return f.File()
}

// listenerFromFile makes a listener from a descriptor, keeping f open.
func listenerFromFile(f *os.File) (net.Listener, error) { return net.FileListener(f) }

// rawFD returns f's descriptor without Fd(), which would switch a
// non-blocking socket (and every descriptor sharing it) to blocking mode.
func rawFD(f *os.File) uintptr {
	rc, err := f.SyscallConn()
	if err != nil {
		return f.Fd()
	}
	var fd uintptr
	_ = rc.Control(func(p uintptr) { fd = p })
	return fd
}
