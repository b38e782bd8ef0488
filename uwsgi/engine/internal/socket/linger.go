package socket

import (
	"net"
	"time"
)

// A connection closed after an error answer (a 431 for a request line of a
// megabyte, a 413 for an upload still arriving) usually has unread bytes
// from the client: closing it then makes the kernel send a reset, which can
// reach the client before it has read the answer, and destroy it. Such a
// connection is closed as net/http does (closeWriteAndWait): the answer is
// followed by a FIN, then what the client still sends is read and dropped
// for a moment, and only then is the connection closed.
const (
	lingerTime  = 500 * time.Millisecond // net/http's rstAvoidanceDelay
	lingerBytes = 4 << 20                // at most this much is drained
)

// LingerClose marks the connection under c to close that way.
func LingerClose(c net.Conn) {
	if dc := DrainConnOf(c); dc != nil {
		dc.linger.Store(true)
	}
}

// lingerBeforeClose shuts down writing and drains what the client still
// sends, for at most lingerTime and lingerBytes; Close calls it once when
// the connection was marked.
func (c *DrainConn) lingerBeforeClose() {
	if !c.linger.CompareAndSwap(true, false) {
		return
	}
	cw := closeWriterOf(c.Conn)
	if cw == nil || cw.CloseWrite() != nil {
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(lingerTime))
	var buf [4096]byte
	for total := 0; total < lingerBytes; {
		n, err := c.Conn.Read(buf[:])
		if err != nil {
			return
		}
		total += n
	}
}

type closeWriter interface{ CloseWrite() error }

// closeWriterOf finds the connection under c that can shut down writing.
func closeWriterOf(c net.Conn) closeWriter {
	for ; c != nil; c = Wrapped(c) {
		if cw, ok := c.(closeWriter); ok {
			return cw
		}
	}
	return nil
}
