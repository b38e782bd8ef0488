//go:build linux

package process

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// siginfoChild is the head of the kernel's siginfo_t for SIGCHLD.
type siginfoChild struct {
	signo, errno, code int32
	_                  [unsafe.Sizeof(uintptr(0)) - 4]byte // the union is pointer-aligned
	pid                int32
	_                  [128 - 12 - unsafe.Sizeof(uintptr(0)) + 4 - 4]byte
}

// exitedChild peeks (without reaping) at one exited child: its pid, or 0.
func exitedChild() int {
	var info siginfoChild
	_, _, errno := unix.Syscall6(unix.SYS_WAITID, unix.P_ALL, 0, uintptr(unsafe.Pointer(&info)),
		unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, 0, 0)
	if errno != 0 {
		return 0
	}
	return int(info.pid)
}

// reapChild collects the exit status of pid.
func reapChild(pid int) bool {
	var ws unix.WaitStatus
	got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	return err == nil && got == pid
}
