package engine

import (
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

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

// queueFull answers a request that waited --queue-timeout for a core:
// 503 with Retry-After, logged once per overload episode.
func (w *Worker) queueFull(ctx *fasthttp.RequestCtx) {
	ctx.Error("Service Unavailable: every core is busy", fasthttp.StatusServiceUnavailable) // resets the headers
	ctx.Response.Header.Set("Retry-After", "1")
	ctx.SetConnectionClose()
	if w.overloaded.CompareAndSwap(false, true) {
		w.log.Printf("uwsgi: worker %d: every core busy for --queue-timeout %v: answering 503", w.ID, w.opts.QueueTimeout)
	}
}

// acquireCore waits for a core, at most --queue-timeout when it is set.
func (w *Worker) acquireCore(start time.Time) (int, bool) {
	if w.opts.QueueTimeout <= 0 {
		return w.cores.Acquire(start), true
	}
	id, ok := w.cores.AcquireWithin(start, w.opts.QueueTimeout)
	if ok && w.overloaded.Load() && w.cores.Busy() < w.cores.Len() {
		w.overloaded.Store(false)
	}
	return id, ok
}
