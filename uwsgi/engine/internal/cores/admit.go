package cores

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/internal/plock"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// Admission: a worker accepts a new connection only while it has a free
// core, so that, as in uWSGI, a connection no core of this worker could
// serve stays in the kernel's listen queue for an idle worker to take.
//
// The race between "a core is free" and "the new connection's request takes
// it" is closed by a reservation: the accept loop takes a free core before
// accept(2) and the connection carries it to its first request, which runs
// on it. The reservation ends early, the core going back to the pool, when
// the connection would block reading before its first request is complete
// (a slow or silent client: with TCP_DEFER_ACCEPT an ordinary request is
// already in the socket buffer when it is accepted), when the request is
// answered without running on a core (an early error, a shed connection),
// or when the connection closes. So a reservation lasts from accept(2) to
// the end of reading a request that is already there: microseconds, and
// never the time a client takes to send.
//
// Requests already waiting for a core in this worker (the next request of a
// keep-alive connection it owns) go before new connections: reserve fails
// while any waits.

// Reserve takes a free core for a connection about to be accepted, if one
// is free and no request waits for one.
func (c *Cores) Reserve() (int, bool) { return c.tryTake() }

// Unreserve gives back a reservation on which no request ran: no request is
// counted, and a waiting request or accept loop gets the core.
func (c *Cores) Unreserve(id int) {
	c.free[id/64].Or(1 << (id % 64))
	c.released()
}

// Use starts a request that started at start on core id, reserved for it.
func (c *Cores) Use(id int, start time.Time) { c.mark(id, start) }

// released runs after a core's bit was freed: a request waiting for a core
// gets it, or else an accept loop waiting for a free core wakes.
func (c *Cores) released() {
	if c.Waiting.Load() > 0 {
		c.handOff()
	}
	if c.acceptors.waiting.Load() > 0 {
		c.acceptors.wake()
	}
}

// acceptWaiters are the accept loops of a worker's sockets waiting for a
// free core; waiting is their count, read without the lock by every release.
type acceptWaiters struct {
	waiting atomic.Int32
	mu      sync.Mutex
	chans   map[chan struct{}]struct{}
}

func (a *acceptWaiters) wake() {
	a.mu.Lock()
	for ch := range a.chans {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	a.mu.Unlock()
}

// WaitFree waits until a core is free and no request waits for one, or
// until done is closed (false). Registering before looking again makes a
// concurrent release, which frees its bit before it counts the waiters,
// either leave its bit for this look or wake this waiter.
func (c *Cores) WaitFree(done <-chan struct{}) bool {
	if c.hasFree() {
		return true
	}
	ch := make(chan struct{}, 1)
	a := &c.acceptors
	a.mu.Lock()
	if a.chans == nil {
		a.chans = map[chan struct{}]struct{}{}
	}
	a.chans[ch] = struct{}{}
	a.waiting.Add(1)
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.chans, ch)
		a.waiting.Add(-1)
		a.mu.Unlock()
	}()
	for !c.hasFree() {
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
	return true
}

// hasFree reports whether a new connection could have a core now.
func (c *Cores) hasFree() bool {
	if c.Waiting.Load() > 0 {
		return false
	}
	for w := range c.free {
		if c.free[w].Load() != 0 {
			return true
		}
	}
	return false
}

// ReleaseAcceptLocks frees the accept locks the dead worker pid held, so
// that the next worker takes its turn at once rather than after
// plock.StealAfter.
func ReleaseAcceptLocks(board *scoreboard.Board, pid int) {
	for i := range board.AcceptLocks() {
		plock.Release(board.AcceptLock(i), uint32(pid))
	}
}
