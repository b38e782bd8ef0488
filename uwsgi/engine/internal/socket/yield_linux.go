//go:build linux

package socket

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Yielding before the next request's read.
//
// A peer that waits for a response before it sends again (an HTTP client
// on a keep-alive connection) is a round trip away from its next request
// when the response has gone out. A read at once finds nothing: a failed
// read(2) (about 500 ns on its own), a park, and later the poller's
// wake-up and a switch back. So a Read that follows a write lets
// the other runnable goroutines go first (runtime.Gosched); under load
// they take longer than the round trip, and the read finds the request.
// With nothing else runnable the yield returns at once. It changes no
// result, only the order goroutines run in.
//
// Go's scheduler polls the network only when its run queues are empty
// (or every 10 ms, from sysmon). Connections that always find their next
// request after a yield would keep the queues full, and those waiting in
// the poller, the accept loop's among them, would wait up to those 10 ms.
//
// So yields are budgeted: after as many yields as there are connections in
// the poller, with no read woken by the poller meanwhile, reads go
// straight to the poller until one is, which needs the queues to drain
// and the poller to run. Each connection then gets about two requests per
// poll of the network instead of one, and one waiting in the poller waits
// at most about twice as long as it would without yields.
//
// Measured (docs/benchmarks.md, "Where the time goes"): with wrk -c64 and
// the server on one CPU, reads per hello request 2.00 -> 1.37 and server
// CPU per request about 5% lower; without the budget, 1.03-1.13 reads and
// 14-22% lower, but p99 latency went from about 2 ms to the 10 ms of
// sysmon's polls.

var (
	// yieldsSinceWake counts the process's yields since the poller last
	// woke a read.
	yieldsSinceWake atomic.Int64
	// pollerConns counts the process's connections in the poller: the
	// yield budget.
	pollerConns atomic.Int64
	// yieldHook, when set (by tests), is told of each yield, with the
	// connection that yields, before it yields.
	yieldHook atomic.Pointer[func(*sockConn)]
)

// markWrote records that bytes went out, for the next Read's yield.
func (c *sockConn) markWrote() {
	if !c.wrote.Load() {
		c.wrote.Store(true)
	}
}

// yieldAfterWrite yields, within the budget, when a Read follows a write.
func (c *sockConn) yieldAfterWrite() {
	if c.wrote.Load() {
		c.wrote.Store(false)
		if yieldsSinceWake.Add(1) <= pollerConns.Load() {
			if h := yieldHook.Load(); h != nil {
				(*h)(c)
			}
			runtime.Gosched()
		}
	}
}

// readState is a connection's reads in the poller: RawConn reads, so that
// the connection knows when the poller woke it (rc is the connection's
// one RawConn; sendfile writes through it too). mu makes concurrent Reads
// take turns, as the poller's own read lock does.
type readState struct {
	mu     sync.Mutex
	rc     syscall.RawConn
	step   func(fd uintptr) bool
	p      []byte
	n      int
	err    error
	parked bool // the read found nothing and waited in the poller
}

// newReadState returns the read state for f, the connection's descriptor
// in the poller.
func newReadState(f *os.File) *readState {
	rc, _ := f.SyscallConn() // fails only for a nil *os.File
	s := &readState{rc: rc}
	s.step = s.run
	return s
}

// run is one read attempt; false means wait in the poller.
func (s *readState) run(fd uintptr) bool {
	n, err := ignoringEINTR(func() (int, error) { return unix.Read(int(fd), s.p) })
	if err == unix.EAGAIN {
		s.parked = true
		return false
	}
	s.n, s.err = n, err
	return true
}

// read is one Read through the poller: n and the read's error, the
// poller's error (a passed deadline, a closed file), and whether the read
// waited in the poller.
func (s *readState) read(p []byte) (n int, rerr, perr error, parked bool) {
	s.mu.Lock()
	s.p, s.n, s.err, s.parked = p, 0, nil, false
	perr = s.rc.Read(s.step)
	n, rerr, parked = s.n, s.err, s.parked
	s.p, s.err = nil, nil
	s.mu.Unlock()
	return n, rerr, perr, parked
}

// pollRead reads p once the connection's descriptor is in the poller.
func (c *sockConn) pollRead(p []byte) (int, error) {
	n, rerr, perr, parked := c.rd.read(p)
	switch {
	case perr != nil:
		if errors.Is(perr, os.ErrDeadlineExceeded) {
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		return 0, c.opError("read", net.ErrClosed)
	case parked:
		yieldsSinceWake.Store(0)
	}
	return c.readResult(p, n, rerr)
}
