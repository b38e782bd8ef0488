//go:build linux

package socket

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/cores"
	"golang.org/x/sys/unix"
)

// sockConn is a connection accepted by fastAccept. It reports errors as
// net's connections do: *net.OpError, net.ErrClosed once closed, and
// timeouts that are net.Errors.
//
// It joins Go's poller only when an operation would block. A uwsgi
// request from nginx (or a Connection: close one) arrives whole with the
// connection (TCP_DEFER_ACCEPT) and its response fits the socket buffer,
// so it is read, answered and closed with plain non-blocking system calls,
// saving the two epoll_ctl calls and the descriptor bookkeeping that
// registering costs (9% of a uwsgi request's CPU). Until then mu guards the
// descriptor: no operation blocks while holding it, and Close cannot let a
// reused descriptor number be read.
type sockConn struct {
	mu       sync.Mutex
	fd       int                     // the descriptor before f owns it; -1 after
	f        atomic.Pointer[os.File] // in the poller, once an operation would block
	rdl, wdl time.Time               // deadlines set before f existed
	last     bool                    // corkLast: raw writes go with MSG_MORE
	network  string
	ln       net.Listener
	raddr    net.Addr
	laddr    atomic.Pointer[net.Addr]
	// res is the core reserved for the first request (see admit.go): its
	// id + 1, 0 once taken or given back.
	res   atomic.Int32
	cores *cores.Cores
	send  *sendState // sendfile in the poller, from the first one (sendfile_linux.go)
	// wrote: bytes went out since the last Read (see yieldAfterWrite).
	wrote atomic.Bool
	rd    *readState // reads in the poller (yield_linux.go)
}

// Reserve records core id of cores as reserved for the first request.
func (c *sockConn) Reserve(cores *cores.Cores, id int) {
	c.cores = cores
	c.res.Store(int32(id) + 1)
}

// takeReserved returns the reserved core, for the request to run on, or -1.
func (c *sockConn) takeReserved() int {
	if c.res.Load() == 0 {
		return -1
	}
	return int(c.res.Swap(0)) - 1
}

// dropReservation gives a reserved core back to the pool.
func (c *sockConn) dropReservation() {
	if id := c.takeReserved(); id >= 0 {
		c.cores.Unreserve(id)
	}
}

// registerLocked hands the descriptor to an *os.File in Go's poller, with
// the deadlines set so far; mu is held.
func (c *sockConn) registerLocked() *os.File {
	// Blocking means the first request is not all here: the client is slow,
	// and its reserved core goes back to the pool until the request is read.
	c.dropReservation()
	c.corkNowLocked()                  // the poller's writes have no MSG_MORE
	f := os.NewFile(uintptr(c.fd), "") // non-blocking: os puts it in the poller
	c.fd = -1
	if !c.rdl.IsZero() {
		_ = f.SetReadDeadline(c.rdl)
	}
	if !c.wdl.IsZero() {
		_ = f.SetWriteDeadline(c.wdl)
	}
	c.rd = newReadState(f)
	pollerConns.Add(1)
	c.f.Store(f)
	return f
}

// lockRaw returns the file once the descriptor is in the poller (mu not
// held), or nil with mu held while it is not; closed reports a closed
// connection (mu not held).
func (c *sockConn) lockRaw() (f *os.File, closed bool) {
	if f = c.f.Load(); f != nil {
		return f, false
	}
	c.mu.Lock()
	if f = c.f.Load(); f != nil || c.fd < 0 {
		c.mu.Unlock()
		return f, f == nil
	}
	return nil, false
}

// past reports whether deadline t (zero: none) has passed: a raw
// operation never blocks, but one past its deadline fails as net's do.
func past(t time.Time) bool { return !t.IsZero() && !time.Now().Before(t) }

// Read implements net.Conn.
func (c *sockConn) Read(p []byte) (int, error) {
	c.yieldAfterWrite()
	f, closed := c.lockRaw()
	switch {
	case closed:
		return 0, c.opError("read", net.ErrClosed)
	case f != nil:
		return c.pollRead(p)
	case past(c.rdl):
		c.mu.Unlock()
		return 0, c.opError("read", os.ErrDeadlineExceeded)
	}
	n, err := ignoringEINTR(func() (int, error) { return unix.Read(c.fd, p) })
	if err == unix.EAGAIN {
		c.registerLocked()
		c.mu.Unlock()
		return c.pollRead(p)
	}
	c.mu.Unlock()
	return c.readResult(p, n, err)
}

// readResult is Read's result for a read(2) into p that returned n, err.
func (c *sockConn) readResult(p []byte, n int, err error) (int, error) {
	switch {
	case err != nil:
		return 0, c.opError("read", os.NewSyscallError("read", err))
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write implements net.Conn.
func (c *sockConn) Write(p []byte) (int, error) {
	f, closed := c.lockRaw()
	switch {
	case closed:
		return 0, c.opError("write", net.ErrClosed)
	case f != nil:
		c.markWrote()
		n, err := f.Write(p)
		return c.fileResult("write", n, err)
	case past(c.wdl):
		c.mu.Unlock()
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	}
	c.markWrote()
	written := 0
	for written < len(p) {
		var n int
		var err error
		if c.last {
			n, err = writeMore(c.fd, p[written:]) // held for the FIN (corkLast)
		} else {
			n, err = ignoringEINTR(func() (int, error) { return unix.Write(c.fd, p[written:]) })
		}
		if n > 0 {
			written += n
		}
		if err == unix.EAGAIN {
			f := c.registerLocked()
			c.mu.Unlock()
			n, err := f.Write(p[written:])
			n, err = c.fileResult("write", n, err)
			return written + n, err
		}
		if err != nil {
			c.mu.Unlock()
			return written, c.opError("write", os.NewSyscallError("write", err))
		}
	}
	c.mu.Unlock()
	return written, nil
}

func ignoringEINTR(op func() (int, error)) (int, error) {
	for {
		n, err := op()
		if err != unix.EINTR {
			return n, err
		}
	}
}

// Close implements net.Conn.
func (c *sockConn) Close() error {
	c.dropReservation()
	f, closed := c.lockRaw()
	switch {
	case closed:
		return c.opError("close", net.ErrClosed)
	case f != nil:
		err := f.Close()
		if err == nil {
			pollerConns.Add(-1)
		}
		_, err = c.fileResult("close", 0, err)
		return err
	}
	err := unix.Close(c.fd)
	c.fd = -1
	c.mu.Unlock()
	if err != nil {
		return c.opError("close", os.NewSyscallError("close", err))
	}
	return nil
}

// control runs fn with the descriptor, whichever state the connection is in.
func (c *sockConn) control(fn func(fd int) error) error {
	f, closed := c.lockRaw()
	switch {
	case closed:
		return net.ErrClosed
	case f == nil:
		defer c.mu.Unlock()
		return fn(c.fd)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// CloseWrite shuts down the sending side (TCP half-close).
func (c *sockConn) CloseWrite() error {
	if err := c.control(func(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }); err != nil {
		if err != net.ErrClosed {
			err = os.NewSyscallError("shutdown", err)
		}
		return c.opError("close", err)
	}
	return nil
}

// corkLast holds back what is written next until the connection closes,
// which then leaves in one segment with the FIN: for the last response on
// a connection (every uwsgi one, Connection: close), the peer handles one
// packet and one wake-up fewer per request (nginx uwsgi_pass served 6-9%
// more requests with it). Only TCP connections have it.
//
// Until the descriptor joins the poller (the common case: the response fits
// the socket buffer) the writes go with MSG_MORE instead, which holds them
// the same way (up to 200 ms, as the cork) without the setsockopt; a
// connection that joins the poller, or sends a file, is corked then.
func (c *sockConn) corkLast() {
	if c.network != "tcp" {
		return
	}
	f, closed := c.lockRaw()
	switch {
	case closed:
		return
	case f == nil:
		c.last = true
		c.mu.Unlock()
		return
	}
	_ = c.control(cork)
}

// cork sets TCP_CORK on fd.
func cork(fd int) error { return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_CORK, 1) }

// corkNowLocked turns a pending corkLast into TCP_CORK, for what does not
// go through Write (sendfile, the poller's writes); mu is held.
func (c *sockConn) corkNowLocked() {
	if c.last {
		c.last = false
		_ = cork(c.fd)
	}
}

// LocalAddr implements net.Conn: the listener's address, or getsockname on
// first use when the listener is bound to a wildcard.
func (c *sockConn) LocalAddr() net.Addr {
	if a := c.laddr.Load(); a != nil {
		return *a
	}
	addr := c.ln.Addr()
	if c.network == "tcp" {
		if b := boundAddr(c.ln); b != nil {
			// Bound to one address: every connection's local one. A copy, as
			// net gives each connection its own.
			addr = &net.TCPAddr{IP: slices.Clone(b.IP), Port: b.Port, Zone: b.Zone}
		} else {
			_ = c.control(func(fd int) error {
				var rsa unix.RawSockaddrAny
				err := getsocknameRaw(fd, &rsa)
				if err == nil {
					addr = tcpAddrOfRaw(&rsa)
				}
				return err
			})
		}
	}
	c.laddr.Store(&addr)
	return addr
}

// RemoteAddr implements net.Conn.
func (c *sockConn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline implements net.Conn.
func (c *sockConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn.
func (c *sockConn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(t, &c.rdl, (*os.File).SetReadDeadline)
}

// SetWriteDeadline implements net.Conn.
func (c *sockConn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(t, &c.wdl, (*os.File).SetWriteDeadline)
}

// setDeadline sets a deadline on f, or keeps it for when f exists.
func (c *sockConn) setDeadline(t time.Time, keep *time.Time, set func(*os.File, time.Time) error) error {
	f, closed := c.lockRaw()
	switch {
	case closed:
		return c.opError("set", net.ErrClosed)
	case f != nil:
		_, err := c.fileResult("set", 0, set(f, t))
		return err
	}
	*keep = t
	c.mu.Unlock()
	return nil
}

// fileResult maps an *os.File result to net's errors.
func (c *sockConn) fileResult(op string, n int, err error) (int, error) {
	if err == nil || err == io.EOF {
		return n, err
	}
	return n, c.opError(op, err)
}

// opError turns an *os.PathError into the *net.OpError net would return.
func (c *sockConn) opError(op string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, os.ErrClosed), errors.Is(err, net.ErrClosed):
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
