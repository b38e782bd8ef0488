package scoreboard

import (
	"sync"
	"testing"
	"unsafe"
)

// TestTotalSumsWorkersAcrossRespawns: workers counting at once in their own
// slots add up to the instance's total, which a slot's Reset (a respawn)
// does not lower, while the new worker's own counters start again.
func TestTotalSumsWorkersAcrossRespawns(t *testing.T) {
	b, err := Create(3, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	for slot, n := range []int{1000, 2500, 0} {
		wg.Go(func() {
			for range n {
				b.Worker(slot).CountRequest()
			}
		})
	}
	wg.Wait()
	if got := b.TotalRequests(); got != 3500 {
		t.Fatalf("total %d, want 3500", got)
	}
	if d, r := b.Worker(1).DeltaRequests.Load(), b.Worker(1).Requests.Load(); d != 2500 || r != 2500 {
		t.Fatalf("slot 1: delta %d requests %d, want 2500 each", d, r)
	}
	b.Reset(1) // its worker died; a new one takes the slot
	if d := b.Worker(1).CountRequest(); d != 1 {
		t.Fatalf("the respawned worker's first request is number %d, want 1", d)
	}
	if got := b.TotalRequests(); got != 3501 {
		t.Fatalf("total after a respawn %d, want 3501", got)
	}
}

// TestNoSharedCacheLines: the header, worker slots and core slots start at
// multiples of 64 bytes, so none shares a cache line with another.
func TestNoSharedCacheLines(t *testing.T) {
	b, err := Create(3, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	base := uintptr(unsafe.Pointer(&b.mem[0]))
	if base%64 != 0 {
		t.Fatalf("mapping at %#x", base)
	}
	for i := range 3 {
		if off := uintptr(unsafe.Pointer(b.Worker(i))) - base; off%64 != 0 || off < headerSize {
			t.Fatalf("worker slot %d at offset %d", i, off)
		}
		for j := range 5 {
			if off := uintptr(unsafe.Pointer(b.Core(i, j))) - base; off%64 != 0 {
				t.Fatalf("core slot %d/%d at offset %d", i, j, off)
			}
		}
	}
	if unsafe.Offsetof(header{}.AcceptLocks)+unsafe.Sizeof(header{}.AcceptLocks) > 64 {
		t.Fatal("the accept locks spill out of the header's cache line")
	}
}

// BenchmarkCountRequestParallel counts requests from parallel goroutines,
// each in its own slot, as workers on different CPUs do.
func BenchmarkCountRequestParallel(b *testing.B) {
	board, err := Create(8, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer board.Close()
	var next sync.Mutex
	slot := 0
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		w := board.Worker(slot % 8)
		slot++
		next.Unlock()
		for pb.Next() {
			w.CountRequest()
		}
	})
}

// BenchmarkSharedTotalParallel is the counting as it was: the slot's
// counters and one instance-wide counter in the header that every worker
// adds to (formerTotal), for comparison with BenchmarkCountRequestParallel.
func BenchmarkSharedTotalParallel(b *testing.B) {
	board, err := Create(8, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer board.Close()
	var next sync.Mutex
	slot := 0
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		w := board.Worker(slot % 8)
		slot++
		next.Unlock()
		for pb.Next() {
			w.DeltaRequests.Add(1)
			w.Requests.Add(1)
			board.header().formerTotal.Add(1)
		}
	})
}
