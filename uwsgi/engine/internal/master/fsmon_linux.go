//go:build linux

package master

import (
	"encoding/binary"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"golang.org/x/sys/unix"
)

// fsWatcher is the master's inotify instance (file monitors, --fs-*).
type fsWatcher struct {
	f *os.File
}

const fsMask = unix.IN_ATTRIB | unix.IN_CREATE | unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MODIFY |
	unix.IN_MOVE_SELF | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE

func newFSWatcher() (*fsWatcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &fsWatcher{f: os.NewFile(uintptr(fd), "inotify")}, nil
}

// add watches path and returns its watch descriptor.
func (w *fsWatcher) add(path string) (int, error) {
	return unix.InotifyAddWatch(int(socket.RawFD(w.f)), path, fsMask)
}

// run reports the watch descriptor of every event until the file closes.
func (w *fsWatcher) run(events func(wd int)) {
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int(int32(binary.LittleEndian.Uint32(buf[off:])))
			nameLen := int(binary.LittleEndian.Uint32(buf[off+12:]))
			events(wd)
			off += unix.SizeofInotifyEvent + nameLen
		}
	}
}
