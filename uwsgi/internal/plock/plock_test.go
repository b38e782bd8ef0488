package plock

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Goroutines standing for processes (each its own pid, none stale) never
// hold the word at once.
func TestLockExcludes(t *testing.T) {
	var word atomic.Uint32
	var inside, entries atomic.Int32
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for range 500 {
				LockUntil(&word, uint32(os.Getpid()+p+1), nil, func(uint32) bool { return false })
				if inside.Add(1) != 1 {
					t.Error("two holders at once")
				}
				entries.Add(1)
				inside.Add(-1)
				Unlock(&word)
			}
		})
	}
	wg.Wait()
	if entries.Load() != 2000 || word.Load() != 0 {
		t.Fatalf("%d entries, word %#x at the end", entries.Load(), word.Load())
	}
}

// A dead holder's lock is released by its reaper, and a waiter wakes.
func TestReleaseWakesAWaiter(t *testing.T) {
	var word atomic.Uint32
	word.Store(999999 | contendedBit)
	got := make(chan uint32)
	go func() { dead, _ := LockUntil(&word, 7, nil, func(uint32) bool { return false }); got <- dead }()
	time.Sleep(20 * time.Millisecond)
	if Release(&word, 12345) {
		t.Fatal("released a lock another pid holds")
	}
	if !Release(&word, 999999) {
		t.Fatal("did not release the dead holder's lock")
	}
	if dead := <-got; dead != 0 || Holder(&word) != 7 {
		t.Fatalf("waiter got the lock from %d; holder now %d", dead, Holder(&word))
	}
}

// LockUntil gives up when done closes, and takes over a stale holder.
func TestLockUntilDoneAndStale(t *testing.T) {
	var word atomic.Uint32
	word.Store(42)
	done := make(chan struct{})
	close(done)
	if _, ok := LockUntil(&word, 7, done, func(uint32) bool { return false }); ok {
		t.Fatal("locked a held word after done")
	}
	from, ok := LockUntil(&word, 7, nil, func(h uint32) bool { return h == 42 })
	if !ok || from != 42 || Holder(&word) != 7 {
		t.Fatalf("took over from %d (ok %v), holder %d", from, ok, Holder(&word))
	}
}
