package socket

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
)

// Lazy read deadlines.
//
// fasthttp moves a keep-alive connection's read deadline two or three times
// per request (idle wait, header, body), and every real SetReadDeadline
// re-arms a runtime timer under the poller's lock: 5% of the CPU of a hello
// request. A drainConn instead keeps its read deadline in an atomic word,
// and the listener's watchdog, ticking while connections are open, expires
// the real connection's deadline only when a stored one has passed. The
// price is precision: a long deadline fires up to deadlineTick late.
// Deadlines closer than preciseDeadline, and past ones (used to abort a
// blocked read), go to the real connection at once.

const (
	deadlineTick    = 100 * time.Millisecond
	preciseDeadline = 500 * time.Millisecond
	// deadlineArmed in lazyDeadline.at: the real connection holds a deadline,
	// which must be cleared before a lazy one replaces it.
	deadlineArmed = -1
)

// lazyDeadline is the read-deadline state of one connection.
type lazyDeadline struct {
	at atomic.Int64 // unix ns of the pending deadline, 0 for none, or deadlineArmed
	mu sync.Mutex   // serialises changes to the real connection's deadline
}

// set records deadline t for conn; clock is the watchdog's last reading.
func (d *lazyDeadline) set(conn net.Conn, t time.Time, clock int64) error {
	var at int64
	if !t.IsZero() {
		at = t.UnixNano()
	}
	precise := at != 0 && at-clock < int64(preciseDeadline)
	if old := d.at.Load(); !precise && old != deadlineArmed && d.at.CompareAndSwap(old, at) {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if precise {
		d.at.Store(deadlineArmed)
		return conn.SetReadDeadline(t)
	}
	var err error
	if d.at.Load() == deadlineArmed {
		err = conn.SetReadDeadline(time.Time{})
	}
	d.at.Store(at)
	return err
}

// expireIf makes conn's pending read fail if its deadline is before now.
func (d *lazyDeadline) expireIf(conn net.Conn, now int64) {
	at := d.at.Load()
	if at <= 0 || at > now {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.at.CompareAndSwap(at, deadlineArmed) {
		_ = conn.SetReadDeadline(time.Unix(0, at))
	}
}

// watch expires the deadlines of the listener's connections every
// deadlineTick, until none is open.
func (l *DrainListener) watch() {
	t := time.NewTicker(deadlineTick)
	defer t.Stop()
	for now := range t.C {
		ns := now.UnixNano()
		l.clock.Store(ns)
		l.mu.Lock()
		if len(l.conns) == 0 {
			l.watching = false
			l.mu.Unlock()
			return
		}
		for c := range l.conns {
			c.rd.expireIf(c.Conn, ns)
		}
		l.mu.Unlock()
	}
}

// startWatch runs the watchdog if it is not running; l.mu is held.
func (l *DrainListener) startWatch() {
	if !l.watching {
		l.watching = true
		l.clock.Store(time.Now().UnixNano())
		go l.watch()
	}
}

// requestPhase is where an HTTP connection is between requests, for the
// read deadlines it keeps by itself: fasthttp would otherwise read the clock
// and move the deadline twice per request (idle, then header).
type requestPhase = int32

const (
	// phaseHeader: a request is being read; its header must be complete
	// --socket-timeout after its first byte (a new connection starts here).
	PhaseHeader requestPhase = iota
	// phaseAwait: the last request was answered; the next must start within
	// --http-timeout.
	PhaseAwait
	// phaseExplicit: someone set a deadline (fasthttp for a body, the
	// bridge, a hijacker); it stands until the next request is awaited.
	phaseExplicit
)

// AwaitRequest tells the connection its request was answered and the next
// one is awaited: the idle timeout runs from now. The HTTP server calls it
// after each request, and the bridge before it serves a connection again.
func (c *DrainConn) AwaitRequest() {
	if c.L.IdleTimeout <= 0 && c.L.HeaderTimeout <= 0 {
		return
	}
	c.Phase.Store(PhaseAwait)
	c.autoDeadline(c.L.IdleTimeout)
}

// autoDeadline sets the read deadline d from the watchdog's clock (0: none).
func (c *DrainConn) autoDeadline(d time.Duration) {
	var t time.Time
	if d > 0 {
		t = time.Unix(0, c.L.clock.Load()+int64(d))
	}
	_ = c.rd.set(c.Conn, t, c.L.clock.Load())
}

// SetReadDeadline implements net.Conn, lazily (see lazyDeadline).
func (c *DrainConn) SetReadDeadline(t time.Time) error {
	c.Phase.Store(phaseExplicit)
	return c.rd.set(c.Conn, t, c.L.clock.Load())
}

// SetDeadline implements net.Conn.
func (c *DrainConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// AwaitRequest calls AwaitRequest on the outermost connection of c that
// has it: the bridge's Conn (which then expects a request header and passes
// the call on) or the drainConn.
func AwaitRequest(c net.Conn) {
	switch t := c.(type) { // the common shapes, without interface checks
	case *bridge.Conn:
		t.AwaitRequest()
		return
	case *DrainConn:
		t.AwaitRequest()
		return
	}
	for ; c != nil; c = Wrapped(c) {
		if a, ok := c.(interface{ AwaitRequest() }); ok {
			a.AwaitRequest()
			return
		}
	}
}
