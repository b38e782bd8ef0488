package plock

import (
	"sync/atomic"
	"testing"
)

// HandOff frees a word nobody sleeps on; a handed-off word is taken by
// LockUntil at once, and by LockAfterHandOff after one sleep when no waiter
// comes; both take it marked contended.
func TestHandOff(t *testing.T) {
	var word atomic.Uint32
	never := func(uint32) bool { return false }
	word.Store(7)
	if HandOff(&word) || word.Load() != 0 {
		t.Fatalf("uncontended: word %#x", word.Load())
	}
	word.Store(7 | contendedBit)
	if HandOff(&word) || word.Load() != 0 {
		t.Fatalf("contended, nobody asleep: word %#x", word.Load())
	}
	for _, lock := range []func(*atomic.Uint32, uint32, <-chan struct{}, func(uint32) bool) (uint32, bool){LockUntil, LockAfterHandOff} {
		word.Store(handedOff)
		if _, ok := lock(&word, 8, nil, never); !ok || word.Load() != 8|contendedBit {
			t.Fatalf("a handed-off word taken as %#x", word.Load())
		}
	}
}

// Goroutines standing for processes take turns with HandOff and
// LockAfterHandOff, never two holders at once.
func TestHandOffExcludes(t *testing.T) {
	var word atomic.Uint32
	var inside atomic.Int32
	done := make(chan struct{})
	never := func(uint32) bool { return false }
	finished := make(chan struct{}, 3)
	for p := range 3 {
		go func() {
			passed := false
			for range 300 {
				lock := LockUntil
				if passed {
					lock = LockAfterHandOff
				}
				lock(&word, uint32(100+p), done, never)
				if inside.Add(1) != 1 {
					t.Error("two holders at once")
				}
				inside.Add(-1)
				passed = HandOff(&word)
			}
			finished <- struct{}{}
		}()
	}
	for range 3 {
		<-finished
	}
	if v := word.Load(); v != 0 && v != handedOff {
		t.Fatalf("word %#x after every holder left", v)
	}
}
