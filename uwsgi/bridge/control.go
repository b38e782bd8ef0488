package bridge

import (
	"context"
	"net/http"
	"sync"
)

// Control lets the engine act on the request a core is serving: cancel its
// context (harakiri's first stage) and find the core from the request
// (uwsgi.SetHarakiri). One Control belongs to one core and is reused.
type Control struct {
	mu  sync.Mutex
	rc  *reqContext             // the request in flight, nil between requests
	ext context.CancelCauseFunc // a request served outside the bridge (see Attach)
	// Data is the engine's per-core value.
	Data any
}

// Cancel cancels the context of the request in flight with err; it reports
// whether a request was running.
func (c *Control) Cancel(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.rc != nil:
		c.rc.cancel(err)
	case c.ext != nil:
		c.ext(err)
	default:
		return false
	}
	return true
}

type controlKey struct{}

// Attach makes c the Control of a request the bridge does not serve (an
// HTTP/2 stream, served by net/http): Cancel cancels the returned context
// and ControlOf finds c through it, until detach is called.
func (c *Control) Attach(ctx context.Context) (_ context.Context, detach func()) {
	ctx, cancel := context.WithCancelCause(context.WithValue(ctx, controlKey{}, c))
	c.mu.Lock()
	c.ext = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		c.ext = nil
		c.mu.Unlock()
		cancel(errRequestDone)
	}
}

func (c *Control) set(rc *reqContext) {
	c.mu.Lock()
	c.rc = rc
	c.mu.Unlock()
}

// ControlOf returns the Control of the core serving r, or nil.
func ControlOf(r *http.Request) *Control {
	ex, _ := r.Context().Value(varsKey{}).(*exchange)
	if ex == nil {
		c, _ := r.Context().Value(controlKey{}).(*Control)
		return c
	}
	return ex.ctl
}
