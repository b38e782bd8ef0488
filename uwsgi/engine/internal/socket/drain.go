package socket

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
)

// DrainListener tracks the connections it accepted until they close, so a
// graceful stop can wait for the ones that were accepted but have not sent
// their first byte yet. fasthttp's own shutdown counts those as idle and
// closes them at once, which would reset a client whose request is on its
// way.
type DrainListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*DrainConn]struct{}
	limit *ConnLimit // --max-conns, shared by the worker's sockets
	Proxy bool       // --http-enable-proxy-protocol
	// watching: the deadline watchdog runs; clock: its last reading (unix ns).
	watching bool
	clock    atomic.Int64
	// headerTimeout and idleTimeout, when set, are the read deadlines the
	// connections keep by themselves (see requestPhase).
	HeaderTimeout, IdleTimeout time.Duration
}

// DrainConn is a connection the drain listener counts until it closes.
type DrainConn struct {
	net.Conn
	L      *DrainListener
	Active atomic.Bool // a byte was read: the connection is (or was) in a request
	closed atomic.Bool
	rd     lazyDeadline
	Phase  atomic.Int32             // a requestPhase
	sc     *sockConn                // Conn itself when it is one: called directly
	Body   BodyGuard                // the request body's checks (body.go)
	linger atomic.Bool              // close the net/http way, after an error (linger.go)
	rip    atomic.Pointer[remoteIP] // the peer's address as text (remoteip.go)
}

// NewDrainListener counts ln's connections, within limit (--max-conns;
// nil: none).
func NewDrainListener(ln net.Listener, limit *ConnLimit) *DrainListener {
	return &DrainListener{Listener: ln, conns: map[*DrainConn]struct{}{}, limit: limit}
}

// Accept implements net.Listener; a connection over --max-conns gets a 503
// and is closed here, and Accept waits for the next one.
func (l *DrainListener) Accept() (net.Conn, error) {
	c, err := l.accept()
	for err == nil && !l.limit.TryAdd() {
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(shedHTTP)
		_ = c.Close()
		c, err = l.accept()
	}
	if err != nil {
		return nil, err
	}
	if l.Proxy {
		c = &proxyConn{Conn: c}
	}
	dc := &DrainConn{Conn: c, L: l}
	dc.sc, _ = c.(*sockConn)
	l.mu.Lock()
	l.conns[dc] = struct{}{}
	l.startWatch()
	l.mu.Unlock()
	if l.HeaderTimeout > 0 {
		// The first request, from its first byte to its header's end, has
		// --socket-timeout from now.
		_ = dc.rd.set(c, time.Now().Add(l.HeaderTimeout), l.clock.Load())
	}
	return dc, nil
}

// Read implements net.Conn.
func (c *DrainConn) Read(p []byte) (n int, err error) {
	metered := c.Body.rawCap > 0
	if metered {
		if p = c.Body.clip(p); len(p) == 0 {
			return 0, ErrChunkOverhead
		}
	}
	if c.sc != nil {
		n, err = c.sc.Read(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if metered {
		c.Body.raw += int64(n)
	}
	if n > 0 {
		if !c.Active.Load() {
			c.Active.Store(true)
		}
		if c.Phase.Load() == PhaseAwait && c.Phase.CompareAndSwap(PhaseAwait, PhaseHeader) {
			c.autoDeadline(c.L.HeaderTimeout)
		}
	}
	return n, err
}

// Write implements net.Conn.
func (c *DrainConn) Write(p []byte) (int, error) {
	if c.sc != nil {
		if c.sc.holding() {
			return c.sc.writeHeld(p) // sendfile_linux.go
		}
		return c.sc.Write(p)
	}
	return c.Conn.Write(p)
}

// Close implements net.Conn.
func (c *DrainConn) Close() error {
	if c.linger.Load() {
		c.lingerBeforeClose()
	}
	if c.closed.CompareAndSwap(false, true) {
		c.L.mu.Lock()
		delete(c.L.conns, c)
		c.L.mu.Unlock()
		c.L.limit.Done()
	}
	return c.Conn.Close()
}

// WaitFresh waits, up to d, until every open connection has sent a byte.
func (l *DrainListener) WaitFresh(d time.Duration) {
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

func (l *DrainListener) fresh() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c := range l.conns {
		if !c.Active.Load() {
			n++
		}
	}
	return n
}

// accept retries temporary failures (EMFILE, ENFILE, ECONNABORTED...) with
// a growing pause, logging once per episode, so that running out of
// descriptors slows accepting down instead of flooding the log.
func (l *DrainListener) accept() (net.Conn, error) {
	var log *logger.Logger
	if l.limit != nil {
		log = l.limit.Log
	}
	return AcceptRetrying(l.Listener, l, log, nil)
}

// corker is a connection that can hold its last response back for the FIN
// (see sockConn.corkLast).
type corker interface{ corkLast() }

// CorkLast corks the connection under c, when it can: an accepted
// sockConn, bare (uwsgi sockets) or wrapped (HTTP).
func CorkLast(c net.Conn) {
	for ; c != nil; c = Wrapped(c) {
		if ck, ok := c.(corker); ok {
			ck.corkLast()
			return
		}
	}
}

// ReservedCore takes the core reserved for c's first request (see
// admit.go), or returns -1.
func ReservedCore(c net.Conn) int {
	if sc := sockConnOf(c); sc != nil {
		return sc.takeReserved()
	}
	return -1
}

// DropReserved gives back the core reserved for c's first request, for a
// request answered without running on a core.
func DropReserved(c net.Conn) {
	if sc := sockConnOf(c); sc != nil {
		sc.dropReservation()
	}
}

// sockConnOf finds the accepted *sockConn under c, or nil.
func sockConnOf(c net.Conn) *sockConn {
	if dc := drainConnFast(c); dc != nil && dc.sc != nil {
		return dc.sc
	}
	for ; c != nil; c = Wrapped(c) {
		if sc, ok := c.(*sockConn); ok {
			return sc
		}
	}
	return nil
}

// DrainConnOf finds the *drainConn under c, through the bridge's and
// fasthttp's (hijack) wrappers.
func DrainConnOf(c net.Conn) *DrainConn {
	if dc := drainConnFast(c); dc != nil {
		return dc
	}
	for ; c != nil; c = Wrapped(c) {
		if dc, ok := c.(*DrainConn); ok {
			return dc
		}
	}
	return nil
}

// drainConnFast finds the *DrainConn of the two shapes every HTTP request
// has (bare, or under the bridge's Conn) with concrete type checks, which
// cost less than Wrapped's walk through interfaces; nil for other shapes.
func drainConnFast(c net.Conn) *DrainConn {
	switch t := c.(type) {
	case *DrainConn:
		return t
	case *bridge.Conn:
		dc, _ := t.Conn.(*DrainConn)
		return dc
	}
	return nil
}

// wrapper is a connection of an upper layer that wraps another (a uwsgi
// socket's connection, an HTTPS connection).
type wrapper interface{ WrappedConn() net.Conn }

// Wrapped is the connection c wraps, or nil.
func Wrapped(c net.Conn) net.Conn {
	switch t := c.(type) {
	case *DrainConn:
		return t.Conn
	case *proxyConn:
		return t.Conn
	case *bridge.Conn:
		return t.Conn
	case wrapper:
		return t.WrappedConn()
	case interface{ UnsafeConn() net.Conn }:
		return t.UnsafeConn()
	}
	return nil
}
