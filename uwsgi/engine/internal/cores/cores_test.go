package cores

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

func newTestCores(t testing.TB, n int) *Cores {
	board, err := scoreboard.Create(1, n)
	if err != nil {
		t.Fatal(err)
	}
	return NewCores(n, board, 0)
}

// Many requests on few cores: no core is ever held twice, every request
// gets one (some after waiting, some giving up with AcquireWithin), and all
// are free at the end.
func TestCoresNeverShared(t *testing.T) {
	for _, n := range []int{1, 3, 70} { // 70: more than one word of bits
		c := newTestCores(t, n)
		held := make([]atomic.Bool, n)
		var wg sync.WaitGroup
		var gaveUp atomic.Int64
		for g := range 4 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 300 {
					var id int
					if (g+i)%3 == 0 {
						var ok bool
						if id, ok = c.AcquireWithin(time.Now(), 50*time.Microsecond); !ok {
							gaveUp.Add(1)
							continue
						}
					} else {
						id = c.Acquire(time.Now())
					}
					if !held[id].CompareAndSwap(false, true) {
						t.Errorf("core %d handed out twice", id)
					}
					if i%7 == 0 {
						time.Sleep(10 * time.Microsecond)
					}
					held[id].Store(false)
					c.Release(id)
				}
			}()
		}
		wg.Wait()
		if busy := c.Busy(); busy != 0 {
			t.Fatalf("%d cores: %d still busy at the end", n, busy)
		}
		if c.Waiting.Load() != 0 || len(c.queue) != 0 {
			t.Fatalf("%d cores: %d waiters counted, %d queued at the end", n, c.Waiting.Load(), len(c.queue))
		}
		t.Logf("%d cores: %d timed-out acquisitions", n, gaveUp.Load())
	}
}

// A waiting request gets the first core released, before newcomers.
func TestCoresWaitersFirst(t *testing.T) {
	c := newTestCores(t, 1)
	id := c.Acquire(time.Now())
	got := make(chan int)
	go func() { got <- c.Acquire(time.Now()) }()
	for c.Waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, ok := c.tryTake(); ok {
		t.Fatal("a newcomer took a core while a request waited")
	}
	c.Release(id)
	select {
	case w := <-got:
		if w != id {
			t.Fatalf("the waiter got core %d, want %d", w, id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter never got the released core")
	}
	if _, ok := c.AcquireWithin(time.Now(), 10*time.Millisecond); ok {
		t.Fatal("AcquireWithin got a core while the only one is busy")
	}
}

func BenchmarkCoresAcquireRelease(b *testing.B) {
	c := newTestCores(b, 100)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Release(c.Acquire(start))
		}
	})
}
