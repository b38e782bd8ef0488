//go:build linux

package socket

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// listenBacklog listens with the kernel backlog set to backlog (Go's own
// default is somaxconn). Linux lets listen(2) run again on a listening
// socket to change its backlog.
func listenBacklog(network, addr string, backlog int, reusePort bool) (net.Listener, error) {
	if max := somaxconn(); backlog > max && max > 0 {
		return nil, fmt.Errorf("listen queue size %d is greater than the system max net.core.somaxconn (%d)", backlog, max)
	}
	lc := net.ListenConfig{}
	if reusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		return nil, err
	}
	if backlog > 0 {
		if err := setBacklog(ln, backlog); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return ln, nil
}

func setBacklog(ln net.Listener, backlog int) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = unix.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	return lerr
}

func somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// tuneListener sets the socket options uWSGI sets on a TCP listening
// socket: TCP_DEFER_ACCEPT (the kernel hands over a connection once its
// first bytes arrived, waiting up to deferAccept seconds; 0 leaves it off)
// and SO_KEEPALIVE with --so-keepalive (accepted sockets inherit both).
func tuneListener(ln net.Listener, deferAccept int, keepAlive bool) error {
	if _, ok := ln.(*net.TCPListener); !ok || (deferAccept <= 0 && !keepAlive) {
		return nil
	}
	rc, err := ln.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if deferAccept > 0 {
			if e := unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, deferAccept); e != nil {
				serr = fmt.Errorf("TCP_DEFER_ACCEPT setsockopt(): %w", e)
			}
		}
		if keepAlive && serr == nil {
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1); e != nil {
				serr = fmt.Errorf("SO_KEEPALIVE setsockopt(): %w", e)
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}
