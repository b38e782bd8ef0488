package cores

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// Cores is the loop engine of one worker: N cores, each a slot for one
// request in flight. A request takes a core once its header has been read
// and gives it back when its handler returns, so idle keep-alive connections
// hold none. When every core is busy, further requests wait for one.
// Each core's counters live in the worker's scoreboard slot.
//
// Free cores are bits in a few words, taken and given back with one atomic
// operation; only when none is free does a request queue (a channel per
// waiter, to which a releasing request hands its core directly). A channel
// of free cores cost two runtime locks per request.
type Cores struct {
	n       int
	free    []atomic.Uint64 // bit i of word w set: core 64w+i is free
	Waiting atomic.Int32    // len(queue), readable without mu
	mu      sync.Mutex
	queue   []chan int
	board   *scoreboard.Board
	slot    int
	// acceptors: the accept loops waiting for a free core (see admit.go).
	acceptors acceptWaiters
}

// NewCores makes a loop engine with n cores (at least one) whose counters
// go to slot of board.
func NewCores(n int, board *scoreboard.Board, slot int) *Cores {
	n = max(n, 1)
	c := &Cores{n: n, free: make([]atomic.Uint64, (n+63)/64), board: board, slot: slot}
	for i := range n {
		c.free[i/64].Or(1 << (i % 64))
	}
	return c
}

// Len is the number of cores.
func (c *Cores) Len() int { return c.n }

// take claims a free core, if there is one.
func (c *Cores) take() (int, bool) {
	for w := range c.free {
		for {
			v := c.free[w].Load()
			if v == 0 {
				break
			}
			bit := bits.TrailingZeros64(v)
			if c.free[w].CompareAndSwap(v, v&^(1<<bit)) {
				return w*64 + bit, true
			}
		}
	}
	return -1, false
}

// enqueue claims a free core or, when none is, queues a waiter: exactly one
// of id and ch is valid. Counting the waiter before looking makes a
// concurrent Release (which frees its bit, then looks for waiters) either
// leave its bit for this look or see the waiter and hand a core over.
func (c *Cores) enqueue() (id int, ch chan int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Waiting.Add(1)
	if id, ok := c.take(); ok {
		c.Waiting.Add(-1)
		return id, nil
	}
	ch = make(chan int, 1)
	c.queue = append(c.queue, ch)
	return -1, ch
}

// tryTake is the fast path: a free core, unless requests already wait for
// one (they go first).
func (c *Cores) tryTake() (int, bool) {
	if c.Waiting.Load() > 0 {
		return -1, false
	}
	return c.take()
}

// Acquire waits for a free core for a request that started at start and
// returns the core's id.
func (c *Cores) Acquire(start time.Time) int {
	id, ok := c.tryTake()
	if !ok {
		var ch chan int
		if id, ch = c.enqueue(); ch != nil {
			id = <-ch
		}
	}
	c.mark(id, start)
	return id
}

// AcquireWithin is Acquire waiting at most d; ok is false when no core
// freed up in time.
func (c *Cores) AcquireWithin(start time.Time, d time.Duration) (int, bool) {
	id, ok := c.tryTake()
	if !ok {
		var ch chan int
		if id, ch = c.enqueue(); ch != nil {
			if id, ok = c.wait(ch, d); !ok {
				return -1, false
			}
		}
	}
	c.mark(id, start)
	return id, true
}

// wait receives a core on ch for at most d; on timeout it leaves the queue,
// unless a release has just handed it a core.
func (c *Cores) wait(ch chan int, d time.Duration) (int, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case id := <-ch:
		return id, true
	case <-t.C:
	}
	c.mu.Lock()
	for i, q := range c.queue {
		if q == ch {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			c.Waiting.Add(-1)
			c.mu.Unlock()
			return -1, false
		}
	}
	c.mu.Unlock()
	// Popped by a release: its core is on the way, and this request takes it.
	return <-ch, true
}

func (c *Cores) mark(id int, start time.Time) {
	s := c.board.Core(c.slot, id)
	s.RequestStart.Store(start.UnixMicro())
	s.InRequest.Store(1)
}

// SetRequest records the method and URI of core id's request for the stats.
func (c *Cores) SetRequest(id int, method, uri []byte) {
	c.board.Core(c.slot, id).SetRequest(method, uri)
}

// Release gives core id back after a request; a request waiting for a
// core gets one.
func (c *Cores) Release(id int) {
	s := c.board.Core(c.slot, id)
	s.HarakiriDeadline.Store(0)
	s.Requests.Add(1)
	s.InRequest.Store(0)
	c.free[id/64].Or(1 << (id % 64))
	c.released()
}

// handOff gives free cores to the waiters, first come first served.
func (c *Cores) handOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) > 0 {
		id, ok := c.take()
		if !ok {
			return
		}
		ch := c.queue[0]
		c.queue = c.queue[1:]
		c.Waiting.Add(-1)
		ch <- id // buffered: never blocks
	}
}

// Busy counts the cores serving a request now.
func (c *Cores) Busy() int {
	free := 0
	for w := range c.free {
		free += bits.OnesCount64(c.free[w].Load())
	}
	return c.n - free
}
