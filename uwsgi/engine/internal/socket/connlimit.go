package socket

import (
	"sync/atomic"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
)

// ConnLimit is --max-conns: the connections a worker keeps open at once,
// over all its sockets. Past it, a new connection is shed at once (an HTTP
// one with a 503 and Retry-After) instead of the worker running out of
// file descriptors. A shedding episode is logged when it starts and ends.
type ConnLimit struct {
	Max      int64
	n        atomic.Int64
	shedding atomic.Bool
	shed     atomic.Uint64
	Log      *logger.Logger
}

// TryAdd counts a new connection; false means shed it.
func (l *ConnLimit) TryAdd() bool {
	if l == nil || l.Max <= 0 {
		return true
	}
	if l.n.Add(1) > l.Max {
		l.n.Add(-1)
		l.shed.Add(1)
		if l.shedding.CompareAndSwap(false, true) {
			l.Log.Printf("uwsgi: --max-conns %d reached: closing new connections until some end", l.Max)
		}
		return false
	}
	return true
}

// Done uncounts a connection.
func (l *ConnLimit) Done() {
	if l == nil || l.Max <= 0 {
		return
	}
	if l.n.Add(-1) < l.Max*9/10 && l.shedding.CompareAndSwap(true, false) {
		l.Log.Printf("uwsgi: back under --max-conns %d: %d connections were shed", l.Max, l.shed.Swap(0))
	}
}

// shedHTTP is written to an HTTP connection shed by --max-conns.
var shedHTTP = []byte("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\nServer overloaded.\r\n")
