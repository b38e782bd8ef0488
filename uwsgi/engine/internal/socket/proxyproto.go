package socket

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
)

// proxyConn reads the PROXY protocol (v1) line a load balancer (HAProxy,
// an AWS ELB...) may send first on a connection, as uWSGI's
// --http-enable-proxy-protocol does: the client address it names becomes
// the connection's remote address. A connection without the line is
// served as it is. Enable it only behind such a proxy: any client could
// otherwise claim an address.
type proxyConn struct {
	net.Conn
	started bool
	rest    []byte // bytes read past the PROXY line
	err     error
	remote  atomic.Pointer[net.TCPAddr]
}

var errBadProxyLine = errors.New("malformed PROXY protocol line")

// Read implements net.Conn.
func (c *proxyConn) Read(p []byte) (int, error) {
	if !c.started {
		c.started = true
		c.readLine()
	}
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(p)
}

// RemoteAddr implements net.Conn: the client the PROXY line named.
func (c *proxyConn) RemoteAddr() net.Addr {
	if a := c.remote.Load(); a != nil {
		return a
	}
	return c.Conn.RemoteAddr()
}

// readLine reads the PROXY line if the connection starts with one (at most
// 107 bytes, the protocol's limit); other bytes are kept for the request.
func (c *proxyConn) readLine() {
	prefix := []byte("PROXY ")
	buf := make([]byte, 0, 108)
	for {
		m, err := c.Conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if n := min(len(buf), len(prefix)); !bytes.Equal(buf[:n], prefix[:n]) {
			c.rest, c.err = buf, err // an ordinary request
			return
		}
		if i := bytes.Index(buf, []byte("\r\n")); i >= 0 {
			if c.err = c.parse(buf[:i]); c.err == nil {
				c.rest = buf[i+2:]
			}
			return
		}
		if err != nil || len(buf) == cap(buf) {
			c.err = errBadProxyLine
			if err != nil {
				c.err = err
			}
			return
		}
	}
}

// parse reads "PROXY TCP4|TCP6 SRC DST SPORT DPORT" or "PROXY UNKNOWN ...".
func (c *proxyConn) parse(line []byte) error {
	f := bytes.Fields(line)
	if len(f) >= 2 && string(f[1]) == "UNKNOWN" {
		return nil
	}
	if len(f) != 6 || (string(f[1]) != "TCP4" && string(f[1]) != "TCP6") {
		return errBadProxyLine
	}
	ip := net.ParseIP(string(f[2]))
	port, err := strconv.Atoi(string(f[4]))
	if ip == nil || err != nil || port < 0 || port > 65535 || net.ParseIP(string(f[3])) == nil {
		return errBadProxyLine
	}
	c.remote.Store(&net.TCPAddr{IP: ip, Port: port})
	return nil
}
