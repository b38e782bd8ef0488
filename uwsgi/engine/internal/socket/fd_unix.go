//go:build unix

package socket

import (
	"net"
	"syscall"
)

// FDOf returns the file descriptor behind a listener, for log lines.
func FDOf(ln net.Listener) int {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = rc.Control(func(p uintptr) { fd = int(p) })
	return fd
}
