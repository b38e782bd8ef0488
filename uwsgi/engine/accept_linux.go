//go:build linux

package engine

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// fastAccept accepts connections with one accept4 and serves each from its
// descriptor. Go's net package adds a getsockname and, for TCP, four
// setsockopt calls (keep-alive probes every 15 s) to every connection it
// accepts: a quarter of the system calls of a one-request connection, the
// common case behind nginx's uwsgi_pass and for Connection: close clients.
// uWSGI leaves keep-alive probes off unless --so-keepalive, which sets them
// on the listening socket (accepted sockets inherit them). TCP_NODELAY stays
// on, as in every Go server: a streamed response must not wait on Nagle.
type fastAccept struct {
	ln      net.Listener // the socket's listener, for Addr
	f       *os.File     // a duplicate of the listening descriptor, in Go's poller
	rc      syscall.RawConn
	network string // "tcp" or "unix"
	closed  atomic.Bool
}

// newAcceptor returns the fast acceptor for ln, or ln itself when its
// descriptor cannot be used that way.
func newAcceptor(ln net.Listener) net.Listener {
	var network string
	switch ln.(type) {
	case *net.TCPListener:
		network = "tcp"
	case *net.UnixListener:
		network = "unix"
	default:
		return ln
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return ln
	}
	rawLn, err := sc.SyscallConn()
	if err != nil {
		return ln
	}
	// A duplicate shares the listener's open file description, non-blocking
	// already, so os.NewFile puts it in the poller.
	dup, derr := -1, error(nil)
	if err := rawLn.Control(func(fd uintptr) { dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil || derr != nil {
		return ln
	}
	f := os.NewFile(uintptr(dup), "listener")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return ln
	}
	return &fastAccept{ln: ln, f: f, rc: rc, network: network}
}

// Accept implements net.Listener.
func (a *fastAccept) Accept() (net.Conn, error) {
	var nfd int
	var sa unix.Sockaddr
	var aerr error
	err := a.rc.Read(func(fd uintptr) bool {
		nfd, sa, aerr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return aerr != unix.EAGAIN
	})
	if err == nil {
		err = aerr
	}
	if err != nil {
		if a.closed.Load() || errors.Is(err, os.ErrClosed) {
			return nil, net.ErrClosed
		}
		return nil, &net.OpError{Op: "accept", Net: a.network, Addr: a.ln.Addr(), Err: os.NewSyscallError("accept4", err)}
	}
	c := &sockConn{fd: nfd, network: a.network, ln: a.ln}
	if a.network == "tcp" {
		_ = unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		c.raddr = tcpAddrOf(sa)
	} else {
		c.raddr = &noUnixAddr
	}
	return c, nil
}

// Close implements net.Listener: the duplicate only (Socket.Close closes
// the socket's own listener).
func (a *fastAccept) Close() error {
	a.closed.Store(true)
	return a.f.Close()
}

// Addr implements net.Listener.
func (a *fastAccept) Addr() net.Addr { return a.ln.Addr() }

var noUnixAddr = net.UnixAddr{Net: "unix"}

func tcpAddrOf(sa unix.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IPv4(sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3]), Port: sa.Port}
	case *unix.SockaddrInet6:
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		a := &net.TCPAddr{IP: ip, Port: sa.Port}
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a
	}
	return &net.TCPAddr{}
}
