package engine

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
)

// tlsListener wraps the connections of an HTTPS socket in TLS. Accept
// does no handshake: fasthttp runs it in the connection's own goroutine
// (Server.getNextProto calls Handshake before the first request), so a
// slow or hostile client never holds up the accept loop. The handshake
// reads through the drainConn, under --socket-timeout from the accept.
type tlsListener struct {
	net.Listener
	cfg *tls.Config
	log *Logger
}

// Accept implements net.Listener.
func (l tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	// A TLS connection's first request is a handshake away, and the
	// handshake may wait for as long as a certificate order takes (ACME):
	// its core is not reserved (see admit.go). The accept loop still took
	// it only while a core was free.
	dropReserved(c)
	dc, _ := c.(*drainConn)
	return &tlsConn{Conn: tls.Server(c, l.cfg), dc: dc, log: l.log}, nil
}

// tlsConn is an accepted HTTPS connection.
type tlsConn struct {
	*tls.Conn
	dc     *drainConn
	log    *Logger
	failed atomic.Bool // the handshake failed (and was logged)
}

// Handshake runs the TLS handshake once; a failure is logged once, and
// fasthttp then closes the connection. A connection closed before its
// first byte (a port probe, a health check) is not a failure, as on an
// HTTP socket.
func (c *tlsConn) Handshake() error {
	err := c.Conn.Handshake()
	if err != nil && errors.Is(err, io.EOF) && c.dc != nil && !c.dc.active.Load() {
		return err
	}
	if err != nil && c.failed.CompareAndSwap(false, true) {
		c.log.Printf("uwsgi: TLS handshake with %s failed: %v", c.RemoteAddr(), err)
	}
	return err
}

// Read implements net.Conn. After a failed handshake (logged) it reports
// a plain end of stream, so that fasthttp closes the connection without
// trying a 400 and logging the failure twice more.
func (c *tlsConn) Read(p []byte) (int, error) {
	if c.failed.Load() {
		return 0, io.EOF
	}
	return c.Conn.Read(p)
}

// AwaitRequest passes on to the drainConn that a new request is awaited.
func (c *tlsConn) AwaitRequest() {
	if c.dc != nil {
		c.dc.AwaitRequest()
	}
}
