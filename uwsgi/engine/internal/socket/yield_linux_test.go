//go:build linux

package socket

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReadAfterWriteYields: a Read that follows a Write yields before it
// reads, and one that follows a Read does not, before and after the
// descriptor joins Go's poller; past the budget, a Read does not yield.
// yieldHook counts this connection's yields: whether another goroutine
// runs during a yield is up to the scheduler (every 61st schedule takes
// the global run queue first, where Gosched puts the yielding goroutine).
func TestReadAfterWriteYields(t *testing.T) {
	conn, client, _ := fastPair(t, "tcp", "127.0.0.1:0")
	c := conn.(*sockConn)
	var yields atomic.Int64
	count := func(sc *sockConn) {
		if sc == c {
			yields.Add(1)
		}
	}
	yieldHook.Store(&count)
	defer yieldHook.Store(nil)
	buf := make([]byte, 16)
	// step reads a byte the client sent, after a Write when write is set,
	// and reports whether the Read yielded.
	step := func(write bool) bool {
		t.Helper()
		if _, err := client.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		waitReadable(t, c)
		if write {
			if _, err := c.Write([]byte("y")); err != nil {
				t.Fatal(err)
			}
		}
		before := yields.Load()
		if n, err := c.Read(buf); n != 1 || err != nil {
			t.Fatalf("Read = %d, %v", n, err)
		}
		return yields.Load() != before
	}
	// Before the descriptor joins the poller, the budget is another
	// connection's.
	pollerConns.Add(1)
	for i, write := range []bool{false, true, true, false, true, false, false, true} {
		if i == 4 {
			pollerConns.Add(-1)
			c.mu.Lock()
			c.registerLocked()
			c.mu.Unlock()
		}
		yieldsSinceWake.Store(0)
		if got := step(write); got != write {
			t.Errorf("step %d (in the poller: %v): after a write %v, the read yielded: %v, want %v",
				i, c.f.Load() != nil, write, got, write)
		}
	}
	yieldsSinceWake.Store(pollerConns.Load())
	if step(true) {
		t.Error("a Read after a Write yielded past the budget")
	}
	// A read the poller wakes renews the budget.
	go func() {
		time.Sleep(20 * time.Millisecond)
		client.Write([]byte("z"))
	}()
	if n, err := c.Read(buf); n != 1 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	if n := yieldsSinceWake.Load(); n != 0 {
		t.Errorf("after a read the poller woke, %d yields counted, want 0", n)
	}
}

// waitReadable waits until c's descriptor has bytes to read.
func waitReadable(t *testing.T, c *sockConn) {
	t.Helper()
	err := c.control(func(fd int) error {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(fds, 10_000)
			if err != unix.EINTR {
				if err == nil && n == 0 {
					err = unix.ETIMEDOUT
				}
				return err
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
