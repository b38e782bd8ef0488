package engine

import "sync/atomic"

// connLimit is --max-conns: the connections a worker keeps open at once,
// over all its sockets. Past it, a new connection is shed at once (an HTTP
// one with a 503 and Retry-After) instead of the worker running out of
// file descriptors. A shedding episode is logged when it starts and ends.
type connLimit struct {
	max      int64
	n        atomic.Int64
	shedding atomic.Bool
	shed     atomic.Uint64
	log      *Logger
}

// tryAdd counts a new connection; false means shed it.
func (l *connLimit) tryAdd() bool {
	if l == nil || l.max <= 0 {
		return true
	}
	if l.n.Add(1) > l.max {
		l.n.Add(-1)
		l.shed.Add(1)
		if l.shedding.CompareAndSwap(false, true) {
			l.log.Printf("uwsgi: --max-conns %d reached: closing new connections until some end", l.max)
		}
		return false
	}
	return true
}

// done uncounts a connection.
func (l *connLimit) done() {
	if l == nil || l.max <= 0 {
		return
	}
	if l.n.Add(-1) < l.max*9/10 && l.shedding.CompareAndSwap(true, false) {
		l.log.Printf("uwsgi: back under --max-conns %d: %d connections were shed", l.max, l.shed.Swap(0))
	}
}

// shedHTTP is written to an HTTP connection shed by --max-conns.
var shedHTTP = []byte("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\nServer overloaded.\r\n")
