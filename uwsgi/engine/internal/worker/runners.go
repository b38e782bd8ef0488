package worker

import (
	"net"
	"sync"
	"time"
)

// connIdleTime is how long a connection goroutine waits for the next
// connection before it ends.
const connIdleTime = 10 * time.Second

// connRunner is a uwsgi connection goroutine between connections.
type connRunner struct {
	next  chan net.Conn // its next connection (capacity 1); nil: end
	since time.Time     // idle since
}

// idleRunners are the connection goroutines waiting for a connection, the
// most recently idle last: the accept loop hands a connection to that one
// (its stack is the warmest) with one send on its own channel, which costs
// less than a select over a shared channel, a timer and the accept loop's
// end (3% of a uwsgi request's CPU). The oldest end after connIdleTime.
type idleRunners struct {
	mu    sync.Mutex
	idle  []*connRunner
	ended bool // the accept loop returned: no connection comes any more
}

// take returns the most recently idle goroutine, or nil.
func (ir *idleRunners) take() *connRunner {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	n := len(ir.idle)
	if n == 0 {
		return nil
	}
	r := ir.idle[n-1]
	ir.idle[n-1] = nil
	ir.idle = ir.idle[:n-1]
	return r
}

// park adds r to the idle goroutines; false if the accept loop ended.
func (ir *idleRunners) park(r *connRunner) bool {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	if ir.ended {
		return false
	}
	r.since = time.Now()
	ir.idle = append(ir.idle, r)
	return true
}

// expire ends, every connIdleTime until done closes, the goroutines idle
// for longer than connIdleTime.
func (ir *idleRunners) expire(done <-chan struct{}) {
	t := time.NewTicker(connIdleTime)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			ir.endIdle(now.Add(-connIdleTime))
		}
	}
}

// endIdle ends the goroutines idle since before t (the oldest come first).
func (ir *idleRunners) endIdle(t time.Time) {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	n := 0
	for n < len(ir.idle) && ir.idle[n].since.Before(t) {
		ir.idle[n].next <- nil
		ir.idle[n] = nil
		n++
	}
	ir.idle = append(ir.idle[:0], ir.idle[n:]...)
}

// end ends every idle goroutine and those that finish their connection
// later: the accept loop returned.
func (ir *idleRunners) end() {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	ir.ended = true
	for i, r := range ir.idle {
		r.next <- nil
		ir.idle[i] = nil
	}
	ir.idle = nil
}
