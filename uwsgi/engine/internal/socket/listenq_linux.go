//go:build linux

package socket

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenQueue reads a listening TCP socket's accept queue from the kernel:
// TCP_INFO's unacked is the queue length and sacked the backlog, as uWSGI
// reads them. Other sockets, and listeners without a descriptor, report
// (0, backlog).
func ListenQueue(ln net.Listener, backlog uint64) (queue, max uint64) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return 0, backlog
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, backlog
	}
	return tcpInfoQueue(rc, backlog)
}

func tcpInfoQueue(rc syscall.RawConn, backlog uint64) (queue, max uint64) {
	queue, max = 0, backlog
	_ = rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err == nil && info.State == 10 { // TCP_LISTEN
			queue, max = uint64(info.Unacked), uint64(info.Sacked)
		}
	})
	return queue, max
}
