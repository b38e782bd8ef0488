//go:build linux

package engine

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

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
	c := &sockConn{network: a.network, ln: a.ln}
	if a.network == "tcp" {
		_ = unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		c.raddr = tcpAddrOf(sa)
	} else {
		c.raddr = &noUnixAddr
	}
	c.f = os.NewFile(uintptr(nfd), "")
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

// sockConn is a connection accepted by fastAccept. It reports errors as
// net's connections do: *net.OpError, net.ErrClosed once closed, and
// timeouts that are net.Errors.
type sockConn struct {
	f       *os.File
	network string
	ln      net.Listener
	raddr   net.Addr
	laddr   atomic.Pointer[net.Addr]
}

// Read implements net.Conn.
func (c *sockConn) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err != nil && err != io.EOF {
		err = c.opError("read", err)
	}
	return n, err
}

// Write implements net.Conn.
func (c *sockConn) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	if err != nil {
		err = c.opError("write", err)
	}
	return n, err
}

// Close implements net.Conn.
func (c *sockConn) Close() error {
	if err := c.f.Close(); err != nil {
		return c.opError("close", err)
	}
	return nil
}

// CloseWrite shuts down the sending side (TCP half-close).
func (c *sockConn) CloseWrite() error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return c.opError("close", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Shutdown(int(fd), unix.SHUT_WR) }); err != nil {
		return c.opError("close", err)
	}
	if serr != nil {
		return c.opError("close", os.NewSyscallError("shutdown", serr))
	}
	return nil
}

// LocalAddr implements net.Conn (getsockname, on first use).
func (c *sockConn) LocalAddr() net.Addr {
	if a := c.laddr.Load(); a != nil {
		return *a
	}
	addr := c.ln.Addr()
	if c.network == "tcp" {
		if rc, err := c.f.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) {
				if sa, err := unix.Getsockname(int(fd)); err == nil {
					addr = tcpAddrOf(sa)
				}
			})
		}
	}
	c.laddr.Store(&addr)
	return addr
}

// RemoteAddr implements net.Conn.
func (c *sockConn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline implements net.Conn.
func (c *sockConn) SetDeadline(t time.Time) error { return c.deadline("set", c.f.SetDeadline(t)) }

// SetReadDeadline implements net.Conn.
func (c *sockConn) SetReadDeadline(t time.Time) error {
	return c.deadline("set", c.f.SetReadDeadline(t))
}

// SetWriteDeadline implements net.Conn.
func (c *sockConn) SetWriteDeadline(t time.Time) error {
	return c.deadline("set", c.f.SetWriteDeadline(t))
}

func (c *sockConn) deadline(op string, err error) error {
	if err != nil {
		return c.opError(op, err)
	}
	return nil
}

// opError turns an *os.PathError into the *net.OpError net would return.
func (c *sockConn) opError(op string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, os.ErrClosed):
		err = net.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	default:
		var errno syscall.Errno
		if errors.As(err, &errno) {
			err = os.NewSyscallError(op, errno)
		}
	}
	return &net.OpError{Op: op, Net: c.network, Source: c.ln.Addr(), Addr: c.raddr, Err: err}
}

// corkLast holds back what is written next until the connection closes,
// which then leaves in one segment with the FIN: for the last response on
// a connection (every uwsgi one, Connection: close), the peer handles one
// packet and one wake-up fewer per request (nginx uwsgi_pass served 6-9%
// more requests with it). Only TCP connections have it.
func (c *sockConn) corkLast() {
	if c.network != "tcp" {
		return
	}
	if rc, err := c.f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, 1) })
	}
}
