//go:build linux

package socket

import (
	"io"
	"net"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/internal/bufcopy"
	"golang.org/x/sys/unix"
)

// fileRange is a response body that can go out from a file with
// sendfile(2): a static file (static.Body).
type fileRange interface {
	io.Reader
	FileRange() (fd int, off, n int64)
	Advance(n int64)
}

// ReadFrom implements io.ReaderFrom. fasthttp's bufio.Writer hands a
// response body stream to it once its buffer (the header and the body's
// first bytes) is written; a static file then goes from the page cache to
// the socket with sendfile(2), without being copied through the worker.
// Any other stream is copied.
func (c *DrainConn) ReadFrom(r io.Reader) (int64, error) {
	src, lr := r, (*io.LimitedReader)(nil)
	if l, ok := r.(*io.LimitedReader); ok {
		src, lr = l.R, l
	}
	fr, ok := src.(fileRange)
	if !ok || c.sc == nil {
		return bufcopy.Copy(c, r)
	}
	fd, off, n := fr.FileRange()
	if lr != nil {
		n = min(n, lr.N)
	}
	sent, err := c.sc.sendFile(fd, off, n)
	fr.Advance(sent)
	if lr != nil {
		lr.N -= sent
	}
	return sent, err
}

// SendsFiles reports whether ReadFrom sends static files with
// sendfile(2): on uwsgo's own accepted sockets.
func (c *DrainConn) SendsFiles() bool { return c.sc != nil }

// sendState is a connection's sendfile and MSG_MORE writes in the poller,
// kept between responses so that none allocates.
type sendState struct {
	more         bool // the next Write is a header a file body follows (FileFollows)
	step, stepW  func(fd uintptr) bool
	src          int
	off, n, sent int64
	p            []byte // what stepW writes
	err          error
}

// run sends what it can of the file; false asks the poller to wait for
// room.
func (s *sendState) run(fd uintptr) bool {
	m, err := sendfileAll(int(fd), s.src, s.off+s.sent, s.n-s.sent)
	s.sent += m
	if err == unix.EAGAIN {
		return false
	}
	s.err = err
	return true
}

// runW writes what it can of p with MSG_MORE.
func (s *sendState) runW(fd uintptr) bool {
	m, err := writeMore(int(fd), s.p[s.sent:])
	s.sent += int64(m)
	if err == unix.EAGAIN {
		return false
	}
	s.err = err
	return true
}

// sendState returns the connection's send state, made on first use.
func (c *sockConn) sendState() *sendState {
	if c.send == nil {
		s := &sendState{}
		s.step, s.stepW = s.run, s.runW
		c.send = s
	}
	return c.send
}

// FileFollows tells the connection that its next Write is a response
// header (with the body's first bytes) whose body follows through
// ReadFrom. That write goes with MSG_MORE: the kernel holds it for the
// sendfile, and header and file leave together, as with TCP_CORK but
// without its two system calls per response.
func (c *DrainConn) FileFollows() {
	if c.sc == nil {
		return
	}
	c.sc.sendState().more = true
}

// holding reports whether FileFollows announced the next write.
func (c *sockConn) holding() bool { return c.send != nil && c.send.more }

// writeHeld is Write with MSG_MORE, for the write FileFollows announced.
func (c *sockConn) writeHeld(p []byte) (int, error) {
	c.send.more = false
	c.markWrote()
	n, f, err := c.rawFirst(func() (int64, error) {
		n, err := writeMore(c.fd, p)
		if err != nil && err != unix.EAGAIN {
			err = c.opError("write", os.NewSyscallError("sendmsg", err))
		}
		return int64(n), err
	})
	written := int(n)
	if f == nil {
		return written, err
	}
	s := c.sendState()
	s.p, s.sent, s.err = p[written:], 0, nil
	werr := c.rd.rc.Write(s.stepW)
	written += int(s.sent)
	s.p = nil
	switch {
	case werr != nil:
		return written, c.opError("write", werr)
	case s.err != nil:
		return written, c.opError("write", os.NewSyscallError("sendmsg", s.err))
	}
	return written, nil
}

// rawFirst runs raw (a write on c.fd that stops at EAGAIN, returning what
// it wrote and EAGAIN bare, any other error wrapped) while the descriptor
// is not in Go's poller. f is the poller's file to go on with when raw
// stopped at EAGAIN, or when the descriptor was in the poller already
// (n = 0); with f nil, n and err are the write's result, or the closed
// connection's or passed deadline's error.
func (c *sockConn) rawFirst(raw func() (int64, error)) (n int64, f *os.File, err error) {
	f, closed := c.lockRaw()
	switch {
	case closed:
		return 0, nil, c.opError("write", net.ErrClosed)
	case f != nil:
		return 0, f, nil
	case past(c.wdl):
		c.mu.Unlock()
		return 0, nil, c.opError("write", os.ErrDeadlineExceeded)
	}
	n, err = raw()
	if err != unix.EAGAIN {
		c.mu.Unlock()
		return n, nil, err
	}
	f = c.registerLocked()
	c.mu.Unlock()
	return n, f, nil
}

// writeMore writes p to fd with MSG_MORE; it stops at EAGAIN.
func writeMore(fd int, p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.SendmsgN(fd, p[written:], nil, nil, unix.MSG_MORE)
		if n > 0 {
			written += n
		}
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return written, err
		}
	}
	return written, nil
}

// sendFile sends n bytes of src from off with sendfile(2): with plain
// non-blocking calls while the socket takes them, then through Go's
// poller, which keeps the write deadline (see Write).
func (c *sockConn) sendFile(src int, off, n int64) (int64, error) {
	c.markWrote()
	sent, f, err := c.rawFirst(func() (int64, error) {
		c.corkNowLocked() // sendfile has no MSG_MORE
		sent, err := sendfileAll(c.fd, src, off, n)
		if err == unix.EAGAIN {
			return sent, err
		}
		return sent, c.sendfileError(err)
	})
	if f == nil {
		return sent, err
	}
	s := c.sendState()
	s.src, s.off, s.n, s.sent, s.err = src, off+sent, n-sent, 0, nil
	err = c.rd.rc.Write(s.step)
	sent += s.sent
	if err != nil {
		return sent, c.opError("write", err)
	}
	return sent, c.sendfileError(s.err)
}

func (c *sockConn) sendfileError(err error) error {
	switch err {
	case nil, io.ErrUnexpectedEOF:
		return err
	}
	return c.opError("write", os.NewSyscallError("sendfile", err))
}

// sendfileAll sends n bytes of src from off to dst; it stops at EAGAIN,
// and reports a file that ended early as io.ErrUnexpectedEOF.
func sendfileAll(dst, src int, off, n int64) (int64, error) {
	var sent int64
	for sent < n {
		o := off + sent
		m, err := unix.Sendfile(dst, src, &o, int(min(n-sent, 1<<30)))
		if m > 0 {
			sent += int64(m)
		}
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return sent, err
		case m == 0:
			return sent, io.ErrUnexpectedEOF // the file shrank
		}
	}
	return sent, nil
}
