package bridge

import (
	"net/http"
	"sync"
)

// Control lets the engine act on the request a core is serving: cancel its
// context (harakiri's first stage) and find the core from the request
// (uwsgi.SetHarakiri). One Control belongs to one core and is reused.
type Control struct {
	mu sync.Mutex
	rc *reqContext // the request in flight, nil between requests
	// Data is the engine's per-core value.
	Data any
}

// Cancel cancels the context of the request in flight with err; it reports
// whether a request was running.
func (c *Control) Cancel(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rc == nil {
		return false
	}
	c.rc.cancel(err)
	return true
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
		return nil
	}
	return ex.ctl
}
