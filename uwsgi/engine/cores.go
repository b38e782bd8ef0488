package engine

import (
	"sync/atomic"
)

// Cores is the loop engine of one worker: N cores, each a slot for one
// request in flight. A request takes a core once its header has been read
// and gives it back when its handler returns, so idle keep-alive connections
// hold none. When every core is busy, further requests wait for one.
type Cores struct {
	free  chan int
	stats []CoreStats
}

// CoreStats are the counters of one core, read by the stats server.
type CoreStats struct {
	Requests atomic.Uint64
	InFlight atomic.Bool
	_        [48]byte // keep cores on their own cache line
}

// NewCores makes a loop engine with n cores (at least one).
func NewCores(n int) *Cores {
	if n < 1 {
		n = 1
	}
	c := &Cores{free: make(chan int, n), stats: make([]CoreStats, n)}
	for i := range n {
		c.free <- i
	}
	return c
}

// Len is the number of cores.
func (c *Cores) Len() int { return len(c.stats) }

// Acquire waits for a free core and returns its id.
func (c *Cores) Acquire() int {
	id := <-c.free
	c.stats[id].InFlight.Store(true)
	return id
}

// Release gives core id back after a request.
func (c *Cores) Release(id int) {
	s := &c.stats[id]
	s.Requests.Add(1)
	s.InFlight.Store(false)
	c.free <- id
}

// Stats returns the counters of core id.
func (c *Cores) Stats(id int) *CoreStats { return &c.stats[id] }

// Busy counts the cores serving a request now.
func (c *Cores) Busy() int { return len(c.stats) - len(c.free) }
