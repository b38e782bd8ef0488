//go:build linux

package engine

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"

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
func (c *drainConn) ReadFrom(r io.Reader) (int64, error) {
	src, lr := r, (*io.LimitedReader)(nil)
	if l, ok := r.(*io.LimitedReader); ok {
		src, lr = l.R, l
	}
	fr, ok := src.(fileRange)
	if !ok || c.sc == nil {
		return copyTo(c, r)
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
func (c *drainConn) SendsFiles() bool { return c.sc != nil }

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyTo copies r to w through a pooled buffer.
func copyTo(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	var total int64
	for {
		n, err := r.Read(*bp)
		if n > 0 {
			m, werr := w.Write((*bp)[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// sendState is a connection's sendfile in the poller, kept between
// responses so that none allocates.
type sendState struct {
	f            *os.File
	rc           syscall.RawConn
	step         func(fd uintptr) bool
	src          int
	off, n, sent int64
	err          error
}

// run sends what it can; false asks the poller to wait for room.
func (s *sendState) run(fd uintptr) bool {
	m, err := sendfileAll(int(fd), s.src, s.off+s.sent, s.n-s.sent)
	s.sent += m
	if err == unix.EAGAIN {
		return false
	}
	s.err = err
	return true
}

// sendFile sends n bytes of src from off with sendfile(2): with plain
// non-blocking calls while the socket takes them, then through Go's
// poller, which keeps the write deadline (see Write).
func (c *sockConn) sendFile(src int, off, n int64) (int64, error) {
	var sent int64
	f, closed := c.lockRaw()
	switch {
	case closed:
		return 0, c.opError("write", net.ErrClosed)
	case f == nil && past(c.wdl):
		c.mu.Unlock()
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	case f == nil:
		var err error
		sent, err = sendfileAll(c.fd, src, off, n)
		if err != unix.EAGAIN {
			c.mu.Unlock()
			return sent, c.sendfileError(err)
		}
		f = c.registerLocked()
		c.mu.Unlock()
	}
	s := c.send
	if s == nil || s.f != f {
		rc, err := f.SyscallConn()
		if err != nil {
			return sent, c.opError("write", err)
		}
		s = &sendState{f: f, rc: rc}
		s.step = s.run
		c.send = s
	}
	s.src, s.off, s.n, s.sent, s.err = src, off+sent, n-sent, 0, nil
	err := s.rc.Write(s.step)
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
