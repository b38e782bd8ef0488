package bridge

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// reqContext is the context.Context of one bridged request. Its Done
// channel is made only when a handler asks for it, so requests that never
// look at their context pay nothing for cancellation.
//
// By default each request has its own reqContext, which stays valid (and
// done) after the handler returned; with Server.ReuseRequests it is the
// exchange's and is reset for the next request.
type reqContext struct {
	mu   sync.Mutex
	done chan struct{}
	// why is what ended the context (client gone, request done,
	// harakiri), nil while it runs; Err is then context.Canceled.
	why      error
	afters   *afterFunc // the last registered; each links to the one before
	ex       *exchange  // the request in flight; nil once the handler returned
	laddr    net.Addr   // http.LocalAddrContextKey
	srv      *http.Server
	watching bool
}

type afterFunc struct {
	f       func()
	stopped bool
	prev    *afterFunc
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// reset prepares a reused context for the request ex serves.
func (c *reqContext) reset(ex *exchange) {
	c.mu.Lock()
	c.done = nil
	c.why = nil
	c.afters = nil
	c.watching = false
	c.bind(ex)
	c.mu.Unlock()
}

// bind attaches a fresh or reset context to the request ex serves.
func (c *reqContext) bind(ex *exchange) {
	c.ex = ex
	c.laddr = ex.localAddr()
	c.srv = ex.srv.std()
}

// Deadline implements context.Context: a bridged request has no deadline of its own.
func (c *reqContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context. The first call arms the watcher that
// cancels the context when the client disconnects.
func (c *reqContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why != nil {
		return closedChan
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	c.startWatchLocked()
	return c.done
}

func (c *reqContext) startWatchLocked() {
	if !c.watching && c.ex != nil {
		c.watching = true
		c.ex.startWatch(c)
	}
}

// Err implements context.Context.
func (c *reqContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why != nil {
		return context.Canceled
	}
	return nil
}

// Value implements context.Context: the keys net/http's server sets, and
// the bridge's own key while the handler runs.
func (c *reqContext) Value(key any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch key {
	case varsKey{}:
		if c.ex != nil {
			return c.ex
		}
	case http.LocalAddrContextKey:
		return c.laddr
	case http.ServerContextKey:
		return c.srv
	}
	return nil
}

// AfterFunc lets context.WithCancel and friends propagate cancellation
// without starting a goroutine per derived context.
func (c *reqContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.why != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f, prev: c.afters}
	c.afters = a
	c.startWatchLocked()
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if a.stopped || c.why != nil {
			return false
		}
		a.stopped = true
		return true
	}
}

// cancel ends the context; why (client gone, request done, harakiri) is
// kept for the bridge, while Err reports context.Canceled as the
// context.Context contract asks. Later calls do nothing.
func (c *reqContext) cancel(why error) {
	c.mu.Lock()
	run := c.cancelLocked(why)
	c.mu.Unlock()
	startAfters(run)
}

// startAfters starts the AfterFuncs of a context that ended (see
// cancelLocked): none can be stopped any more, so stopped is read without
// the lock.
func startAfters(run *afterFunc) {
	for a := run; a != nil; a = a.prev {
		if !a.stopped {
			go a.f()
		}
	}
}

// cancelLocked ends the context with c.mu held and returns the AfterFuncs
// to start (in goroutines, once c.mu is released), or nil.
func (c *reqContext) cancelLocked(why error) *afterFunc {
	if c.why != nil {
		return nil
	}
	if why == nil {
		why = context.Canceled
	}
	c.why = why
	if c.done != nil {
		close(c.done)
	}
	run := c.afters
	c.afters = nil
	return run
}

// clientGone reports whether the context ended because the client went away.
func (c *reqContext) clientGone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why == errClientGone
}

// stopWatching stops the disconnect watcher for good: the connection is
// the handler's now (Hijack).
func (c *reqContext) stopWatching() {
	c.mu.Lock()
	c.watching = true
	c.mu.Unlock()
	if ex := c.ex; ex != nil && ex.conn != nil {
		ex.conn.StopWatch()
	}
}

// end detaches the context from the exchange once the handler returned,
// and cancels it: what it answers from then on is its own.
func (c *reqContext) end() {
	c.mu.Lock()
	c.ex = nil
	run := c.cancelLocked(errRequestDone)
	c.mu.Unlock()
	startAfters(run)
}

var _ context.Context = (*reqContext)(nil)
