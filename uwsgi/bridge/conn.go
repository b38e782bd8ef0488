package bridge

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Listener wraps a net.Listener so that the connections it accepts can be
// watched for a client disconnect while a handler runs (see Conn).
type Listener struct {
	net.Listener
}

// Accept implements net.Listener.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if t, ok := c.(tlsStater); ok {
		return &TLSConn{Conn: NewConn(c), tls: t}, nil
	}
	return NewConn(c), nil
}

// tlsStater is a connection over TLS, as fasthttp recognises one (a
// *tls.Conn, or a wrapper of one).
type tlsStater interface {
	Handshake() error
	ConnectionState() tls.ConnectionState
}

// TLSConn is a Conn over TLS: fasthttp's RequestCtx.IsTLS and
// TLSConnectionState see the TLS state through it, and net/http handlers
// get it as r.TLS.
type TLSConn struct {
	*Conn
	tls   tlsStater
	state *tls.ConnectionState // after the handshake; the same for every request, as in net/http
}

// Handshake runs the TLS handshake, if it has not run yet.
func (c *TLSConn) Handshake() error { return c.tls.Handshake() }

// ConnectionState is the state of the TLS connection.
func (c *TLSConn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// UnsafeConn is the Conn under the TLS view.
func (c *TLSConn) UnsafeConn() net.Conn { return c.Conn }

// connState is the state shared by the requests of the connection.
func (c *TLSConn) connState() *tls.ConnectionState {
	if c.state == nil {
		st := c.tls.ConnectionState()
		c.state = &st
	}
	return c.state
}

// bridgeConn finds the bridge's Conn (plain or under a TLSConn) that
// fasthttp serves.
func bridgeConn(c net.Conn) (*Conn, *TLSConn) {
	switch t := c.(type) {
	case *Conn:
		return t, nil
	case *TLSConn:
		return t.Conn, t
	}
	return nil, nil
}

// Conn is a net.Conn that can read in the background while a handler runs,
// to notice a client that went away. Bytes read in the background (a
// pipelined next request) are kept and returned by the next Read, in order.
//
// While a request header is awaited, a Read returns no byte past the end of
// the header ("\r\n\r\n"): what follows stays here rather than in the
// server's read buffer, so a handler that hijacks the connection finds the
// bytes the client sent behind its request (as net/http's Hijack gives them).
type Conn struct {
	net.Conn

	mu       sync.Mutex
	pending  []byte
	rerr     error
	bg       chan struct{} // closed when the background read ended; nil when none runs
	stopping bool          // StopWatch is aborting the background read
	buf      [1]byte
	// busy: pending, rerr or bg is set (written with mu held), so Read
	// takes the lock; otherwise it reads straight from the connection.
	busy atomic.Bool
	// inHeader: a request header is being read; matched counts the bytes of
	// its "\r\n\r\n" end already returned. Only the connection's reader
	// (the goroutine serving its requests, or the handler that hijacked
	// it) uses them, through Read, NextRequest and AwaitRequest: no lock.
	inHeader bool
	matched  int
	// remoteAddr (RemoteAddr formatted for http.Request) and localAddr
	// (for http.LocalAddrContextKey) are looked up once per connection;
	// only the goroutine serving the connection's requests uses them.
	remoteAddr string
	localAddr  net.Addr
}

// NewConn wraps c.
func NewConn(c net.Conn) *Conn { return &Conn{Conn: c, inHeader: true} }

// Read implements net.Conn, serving bytes read in the background first.
func (c *Conn) Read(p []byte) (int, error) {
	if c.busy.Load() {
		return c.readBusy(p)
	}
	n, err := c.Conn.Read(p)
	return c.cut(p, n, err)
}

// readBusy is Read when bytes or an error were kept, or a background
// read runs.
func (c *Conn) readBusy(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		n = c.cutHeader(p[:n])
		c.pending = c.pending[n:]
		c.setBusyLocked()
		c.mu.Unlock()
		return n, nil
	}
	if err := c.rerr; err != nil {
		c.mu.Unlock()
		return 0, err
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	return c.cut(p, n, err)
}

// cut returns the n bytes read into p (and err), or those up to the end of
// the request header being read and keeps the rest.
func (c *Conn) cut(p []byte, n int, err error) (int, error) {
	if !c.inHeader || n == 0 {
		return n, err
	}
	if m := c.cutHeader(p[:n]); m < n {
		c.mu.Lock()
		// Keep what follows the header, in front of anything pending.
		c.pending = append(append([]byte(nil), p[m:n]...), c.pending...)
		if err != nil && c.rerr == nil {
			c.rerr = err // after the bytes kept
		}
		c.setBusyLocked()
		c.mu.Unlock()
		n, err = m, nil
	}
	return n, err
}

// setBusyLocked updates busy after pending, rerr or bg changed; c.mu is held.
func (c *Conn) setBusyLocked() {
	c.busy.Store(c.bg != nil || len(c.pending) > 0 || c.rerr != nil)
}

// cutHeader returns how many bytes of b to return: all of them, or those up
// to the end of the request header being read.
func (c *Conn) cutHeader(b []byte) int {
	if !c.inHeader {
		return len(b)
	}
	for i := 0; i < len(b); {
		if c.matched == 0 {
			// Most bytes of a header are not CR: skip to the next one.
			j := bytes.IndexByte(b[i:], '\r')
			if j < 0 {
				return len(b)
			}
			i += j
		}
		switch ch := b[i]; {
		case ch == headerEnd[c.matched]:
			c.matched++
		case ch == '\r':
			c.matched = 1
		default:
			c.matched = 0
		}
		i++
		if c.matched == len(headerEnd) {
			c.inHeader, c.matched = false, 0
			return i
		}
	}
	return len(b)
}

var headerEnd = [...]byte{'\r', '\n', '\r', '\n'}

// endRequest stops the background read (StopWatch) once a request was
// answered, after its context ended (so no watch can start any more) and,
// when next, expects the header of another one (NextRequest). With no
// watch running and nothing kept, it takes no lock.
func (c *Conn) endRequest(next bool) {
	if next {
		c.NextRequest()
	}
	if c.busy.Load() {
		c.StopWatch()
	}
}

// NextRequest tells the connection the request was answered: the next
// bytes are the header of another one. The connection's reader calls it
// (the goroutine that serves its requests), between its reads.
func (c *Conn) NextRequest() {
	c.inHeader, c.matched = true, 0
}

// AwaitRequest tells the connection a new request is awaited: the next
// bytes are a request header (see NextRequest). It passes the call on to
// the wrapped connection, when it has the method (its server may restart an
// idle timer).
func (c *Conn) AwaitRequest() {
	c.NextRequest()
	if a, ok := c.Conn.(interface{ AwaitRequest() }); ok {
		a.AwaitRequest()
	}
}

// awaitRequest tells the connection under c (through fasthttp's hijack
// wrapper and Conn) that a new request is awaited, if it cares.
func awaitRequest(c net.Conn) {
	for c != nil {
		if a, ok := c.(interface{ AwaitRequest() }); ok {
			a.AwaitRequest()
			return
		}
		u, ok := c.(interface{ UnsafeConn() net.Conn })
		if !ok {
			return
		}
		c = u.UnsafeConn()
	}
}

// WatchClose starts a background read; onGone runs if the peer closed or
// reset the connection before StopWatch was called.
func (c *Conn) WatchClose(onGone func()) {
	c.mu.Lock()
	if c.bg != nil || len(c.pending) > 0 || c.rerr != nil {
		c.mu.Unlock()
		return
	}
	done := make(chan struct{})
	c.bg = done
	c.stopping = false
	c.setBusyLocked()
	c.mu.Unlock()
	go c.backgroundRead(done, onGone)
}

func (c *Conn) backgroundRead(done chan struct{}, onGone func()) {
	defer close(done)
	for {
		n, err := c.Conn.Read(c.buf[:])
		c.mu.Lock()
		if n > 0 {
			c.pending = append(c.pending[:0], c.buf[:n]...)
			c.setBusyLocked()
			c.mu.Unlock()
			return
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			stopping := c.stopping
			c.mu.Unlock()
			if stopping {
				return
			}
			// A read deadline set by the server for the request: keep watching.
			_ = c.Conn.SetReadDeadline(time.Time{})
			continue
		}
		if err != nil {
			c.rerr = err
			c.setBusyLocked()
		}
		c.mu.Unlock()
		if err != nil {
			onGone()
		}
		return
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// StopWatch aborts a running background read and waits for it.
func (c *Conn) StopWatch() {
	c.mu.Lock()
	done := c.bg
	c.bg = nil
	c.stopping = true
	c.setBusyLocked() // set again if the background read keeps a byte
	c.mu.Unlock()
	if done == nil {
		return
	}
	_ = c.Conn.SetReadDeadline(aLongTimeAgo)
	<-done
	_ = c.Conn.SetReadDeadline(time.Time{})
}
