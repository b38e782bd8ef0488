package engine

import (
	"errors"
	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// drainListener tracks the connections it accepted until they close, so a
// graceful stop can wait for the ones that were accepted but have not sent
// their first byte yet. fasthttp's own shutdown counts those as idle and
// closes them at once, which would reset a client whose request is on its
// way.
type drainListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*drainConn]struct{}
	limit *connLimit // --max-conns, shared by the worker's sockets
	proxy bool       // --http-enable-proxy-protocol
	// watching: the deadline watchdog runs; clock: its last reading (unix ns).
	watching bool
	clock    atomic.Int64
	// headerTimeout and idleTimeout, when set, are the read deadlines the
	// connections keep by themselves (see requestPhase).
	headerTimeout, idleTimeout time.Duration
}

type drainConn struct {
	net.Conn
	l      *drainListener
	active atomic.Bool // a byte was read: the connection is (or was) in a request
	closed atomic.Bool
	rd     lazyDeadline
	phase  atomic.Int32 // a requestPhase
	sc     *sockConn    // Conn itself when it is one: called directly
	body   bodyGuard    // the request body's checks (body.go)
	linger atomic.Bool  // close the net/http way, after an error (linger.go)
}

func newDrainListener(ln net.Listener, limit *connLimit) *drainListener {
	return &drainListener{Listener: ln, conns: map[*drainConn]struct{}{}, limit: limit}
}

// Accept implements net.Listener; a connection over --max-conns gets a 503
// and is closed here, and Accept waits for the next one.
func (l *drainListener) Accept() (net.Conn, error) {
	c, err := l.accept()
	for err == nil && !l.limit.tryAdd() {
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(shedHTTP)
		_ = c.Close()
		c, err = l.accept()
	}
	if err != nil {
		return nil, err
	}
	if l.proxy {
		c = &proxyConn{Conn: c}
	}
	dc := &drainConn{Conn: c, l: l}
	dc.sc, _ = c.(*sockConn)
	l.mu.Lock()
	l.conns[dc] = struct{}{}
	l.startWatch()
	l.mu.Unlock()
	if l.headerTimeout > 0 {
		// The first request, from its first byte to its header's end, has
		// --socket-timeout from now.
		_ = dc.rd.set(c, time.Now().Add(l.headerTimeout), l.clock.Load())
	}
	return dc, nil
}

// Read implements net.Conn.
func (c *drainConn) Read(p []byte) (n int, err error) {
	metered := c.body.rawCap > 0
	if metered {
		if p = c.body.clip(p); len(p) == 0 {
			return 0, errChunkOverhead
		}
	}
	if c.sc != nil {
		n, err = c.sc.Read(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if metered {
		c.body.raw += int64(n)
	}
	if n > 0 {
		if !c.active.Load() {
			c.active.Store(true)
		}
		if c.phase.Load() == phaseAwait && c.phase.CompareAndSwap(phaseAwait, phaseHeader) {
			c.autoDeadline(c.l.headerTimeout)
		}
	}
	return n, err
}

// Write implements net.Conn.
func (c *drainConn) Write(p []byte) (int, error) {
	if c.sc != nil {
		if c.sc.holding() {
			return c.sc.writeHeld(p) // sendfile_linux.go
		}
		return c.sc.Write(p)
	}
	return c.Conn.Write(p)
}

// Close implements net.Conn.
func (c *drainConn) Close() error {
	if c.linger.Load() {
		c.lingerBeforeClose()
	}
	if c.closed.CompareAndSwap(false, true) {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.limit.done()
	}
	return c.Conn.Close()
}

// waitFresh waits, up to d, until every open connection has sent a byte.
func (l *drainListener) waitFresh(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if l.fresh() == 0 {
			// Let the reader that just got its first byte mark itself busy.
			time.Sleep(20 * time.Millisecond)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *drainListener) fresh() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c := range l.conns {
		if !c.active.Load() {
			n++
		}
	}
	return n
}

// accept retries temporary failures (EMFILE, ENFILE, ECONNABORTED...) with
// a growing pause, logging once per episode, so that running out of
// descriptors slows accepting down instead of flooding the log.
func (l *drainListener) accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if backoff > 0 && l.limit != nil && l.limit.log != nil {
				l.limit.log.Printf("uwsgi: accepting again on %s", l.Addr())
			}
			return c, nil
		}
		if !retryableAccept(err) {
			return nil, err
		}
		if backoff == 0 && l.limit != nil && l.limit.log != nil {
			l.limit.log.Printf("uwsgi: accept() on %s: %v (retrying, quietly, until it works)", l.Addr(), err)
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		time.Sleep(backoff)
	}
}

// retryableAccept reports whether an accept error is worth retrying.
func retryableAccept(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EINTR)
}

// corker is a connection that can hold its last response back for the FIN
// (see sockConn.corkLast).
type corker interface{ corkLast() }

// corkLast corks the connection under c, when it can: an accepted
// sockConn, bare (uwsgi sockets) or wrapped (HTTP).
func corkLast(c net.Conn) {
	for ; c != nil; c = wrapped(c) {
		if ck, ok := c.(corker); ok {
			ck.corkLast()
			return
		}
	}
}

// reservedCore takes the core reserved for c's first request (see
// admit.go), or returns -1.
func reservedCore(c net.Conn) int {
	if sc := sockConnOf(c); sc != nil {
		return sc.takeReserved()
	}
	return -1
}

// dropReserved gives back the core reserved for c's first request, for a
// request answered without running on a core.
func dropReserved(c net.Conn) {
	if sc := sockConnOf(c); sc != nil {
		sc.dropReservation()
	}
}

// sockConnOf finds the accepted *sockConn under c, or nil.
func sockConnOf(c net.Conn) *sockConn {
	for ; c != nil; c = wrapped(c) {
		if sc, ok := c.(*sockConn); ok {
			return sc
		}
	}
	return nil
}

// drainConnOf finds the *drainConn under c, through the bridge's and
// fasthttp's (hijack) wrappers.
func drainConnOf(c net.Conn) *drainConn {
	for ; c != nil; c = wrapped(c) {
		if dc, ok := c.(*drainConn); ok {
			return dc
		}
	}
	return nil
}

// wrapped is the connection c wraps, or nil.
func wrapped(c net.Conn) net.Conn {
	switch t := c.(type) {
	case *drainConn:
		return t.Conn
	case *proxyConn:
		return t.Conn
	case *bridge.Conn:
		return t.Conn
	case *uconn:
		return t.Conn
	case *tlsConn:
		return t.NetConn()
	case interface{ UnsafeConn() net.Conn }:
		return t.UnsafeConn()
	}
	return nil
}
