package bridge

import (
	"context"
	"sync"
	"time"
)

// reqContext is the pooled context.Context of one bridged request. Its Done
// channel is made only when a handler asks for it, so requests that never
// look at their context pay nothing for cancellation.
type reqContext struct {
	mu       sync.Mutex
	done     chan struct{}
	err      error
	why      error
	afters   []*afterFunc
	values   valueSource
	watch    func() // starts the client-disconnect watcher; nil when unwatchable
	watching bool
}

// valueSource answers Value lookups for the keys the bridge owns.
type valueSource interface {
	value(key any) any
}

type afterFunc struct {
	f       func()
	stopped bool
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *reqContext) reset(vs valueSource, watch func()) {
	c.mu.Lock()
	c.done = nil
	c.err = nil
	c.why = nil
	c.afters = c.afters[:0]
	c.values = vs
	c.watch = watch
	c.watching = false
	c.mu.Unlock()
}

// Deadline implements context.Context: a bridged request has no deadline of its own.
func (c *reqContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context. The first call arms the watcher that
// cancels the context when the client disconnects.
func (c *reqContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return closedChan
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	c.startWatchLocked()
	return c.done
}

func (c *reqContext) startWatchLocked() {
	if !c.watching && c.watch != nil {
		c.watching = true
		c.watch()
	}
}

// Err implements context.Context.
func (c *reqContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value implements context.Context.
func (c *reqContext) Value(key any) any {
	c.mu.Lock()
	vs := c.values
	c.mu.Unlock()
	if vs == nil {
		return nil
	}
	return vs.value(key)
}

// AfterFunc lets context.WithCancel and friends propagate cancellation
// without starting a goroutine per derived context.
func (c *reqContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	c.afters = append(c.afters, a)
	c.startWatchLocked()
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if a.stopped || c.err != nil {
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
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = context.Canceled
	c.why = why
	if c.done != nil {
		close(c.done)
	}
	afters := c.afters
	c.afters = nil
	c.mu.Unlock()
	for _, a := range afters {
		if !a.stopped {
			go a.f()
		}
	}
}

var _ context.Context = (*reqContext)(nil)
