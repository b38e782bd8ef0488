//go:build linux

package emperor

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketpair is the Emperor's channel to one vassal: its end, and the
// vassal's (passed as descriptor 3).
func socketpair() (ours, theirs *os.File, err error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(pair[0]), "emperor"), os.NewFile(uintptr(pair[1]), "vassal"), nil
}

// vassalAttrs: a vassal dies with its Emperor (the thread that started it),
// as uWSGI's do.
func vassalAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
