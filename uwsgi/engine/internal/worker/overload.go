package worker

import (
	"time"

	"github.com/valyala/fasthttp"
)

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
		return w.Cores.Acquire(start), true
	}
	id, ok := w.Cores.AcquireWithin(start, w.opts.QueueTimeout)
	if ok && w.overloaded.Load() && w.Cores.Busy() < w.Cores.Len() {
		w.overloaded.Store(false)
	}
	return id, ok
}
