package handoff

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// ErrFull is a control channel whose socket buffer has no room: the peer
// does not read (stopped, stuck, not started yet).
var ErrFull = errors.New("control channel full")

// WriteNoWait is one send(2) with MSG_DONTWAIT, whatever the descriptor's
// mode (an end may be inherited across a binary upgrade): n bytes went,
// and ErrFull when the socket buffer had no room for the rest.
func WriteNoWait(f *os.File, b []byte) (n int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	cerr := rc.Control(func(fd uintptr) {
		for {
			n, err = unix.SendmsgN(int(fd), b, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
			if err != unix.EINTR {
				return
			}
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	if err == unix.EAGAIN {
		return max(n, 0), ErrFull
	}
	return max(n, 0), err
}

// SendBuffer is the socket's send buffer size in bytes (0 when unknown),
// for uWSGI's "SIGNAL QUEUE IS FULL: buffer size N bytes" line.
func SendBuffer(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	size := 0
	_ = rc.Control(func(fd uintptr) { size, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF) })
	return size
}
