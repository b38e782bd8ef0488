package engine

import (
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// Cores is the loop engine of one worker: N cores, each a slot for one
// request in flight. A request takes a core once its header has been read
// and gives it back when its handler returns, so idle keep-alive connections
// hold none. When every core is busy, further requests wait for one.
// Each core's counters live in the worker's scoreboard slot.
type Cores struct {
	free  chan int
	board *scoreboard.Board
	slot  int
}

// NewCores makes a loop engine with n cores (at least one) whose counters
// go to slot of board.
func NewCores(n int, board *scoreboard.Board, slot int) *Cores {
	n = max(n, 1)
	c := &Cores{free: make(chan int, n), board: board, slot: slot}
	for i := range n {
		c.free <- i
	}
	return c
}

// Len is the number of cores.
func (c *Cores) Len() int { return cap(c.free) }

// Acquire waits for a free core for a request that started at start and
// returns the core's id.
func (c *Cores) Acquire(start time.Time) int {
	id := <-c.free
	s := c.board.Core(c.slot, id)
	s.RequestStart.Store(start.UnixMicro())
	s.InRequest.Store(1)
	return id
}

// AcquireWithin is Acquire waiting at most d; ok is false when no core
// freed up in time.
func (c *Cores) AcquireWithin(start time.Time, d time.Duration) (int, bool) {
	select {
	case id := <-c.free:
		c.mark(id, start)
		return id, true
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case id := <-c.free:
		c.mark(id, start)
		return id, true
	case <-t.C:
		return -1, false
	}
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

// Release gives core id back after a request.
func (c *Cores) Release(id int) {
	s := c.board.Core(c.slot, id)
	s.HarakiriDeadline.Store(0)
	s.Requests.Add(1)
	s.InRequest.Store(0)
	c.free <- id
}

// Busy counts the cores serving a request now.
func (c *Cores) Busy() int { return cap(c.free) - len(c.free) }
