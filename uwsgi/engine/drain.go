package engine

import (
	"net"
	"sync"
	"sync/atomic"
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
}

type drainConn struct {
	net.Conn
	l      *drainListener
	active atomic.Bool // a byte was read: the connection is (or was) in a request
	closed atomic.Bool
}

func newDrainListener(ln net.Listener, limit *connLimit) *drainListener {
	return &drainListener{Listener: ln, conns: map[*drainConn]struct{}{}, limit: limit}
}

// Accept implements net.Listener; a connection over --max-conns gets a 503
// and is closed here, and Accept waits for the next one.
func (l *drainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	for err == nil && !l.limit.tryAdd() {
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write(shedHTTP)
		_ = c.Close()
		c, err = l.Listener.Accept()
	}
	if err != nil {
		return nil, err
	}
	dc := &drainConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[dc] = struct{}{}
	l.mu.Unlock()
	return dc, nil
}

// Read implements net.Conn.
func (c *drainConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.active.Load() {
		c.active.Store(true)
	}
	return n, err
}

// Close implements net.Conn.
func (c *drainConn) Close() error {
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
