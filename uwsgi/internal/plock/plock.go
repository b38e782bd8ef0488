// Package plock is a lock shared by processes: a 32-bit word in memory
// they all map, holding the pid of the process that owns it (0 = free),
// plus a bit set while others sleep on it (a futex on Linux). Within a
// process the caller lets at most one goroutine at a time contend for a
// word.
//
// A holder can be killed while it holds the lock. Two paths take such a
// lock back: whoever reaps the dead process calls Release, and a waiter that
// has slept for StealAfter checks whether the holder still exists (a zombie
// counts as dead) and takes the lock over.
package plock

import (
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/internal/proc"
)

const (
	contendedBit = 1 << 31
	pidMask      = contendedBit - 1
	waitSlice    = 50 * time.Millisecond
	// StealAfter is how long a waiter sleeps before it checks whether the
	// holder is dead.
	StealAfter = 500 * time.Millisecond
)

// Lock takes word for pid; it returns the pid of the dead holder it was
// taken from (the caller must repair what it left), or 0.
func Lock(word *atomic.Uint32, pid uint32) (deadHolder uint32) {
	dead, _ := LockUntil(word, pid, nil, Dead)
	return dead
}

// Dead reports whether process pid is gone (a zombie counts as gone).
func Dead(pid uint32) bool { return !proc.Alive(int(pid)) }

// LockUntil is Lock that gives up when done is closed (ok false), looked at
// between sleeps of at most 50 ms, and that, once it has waited StealAfter,
// takes the lock from a holder for which stale returns true.
func LockUntil(word *atomic.Uint32, pid uint32, done <-chan struct{}, stale func(holder uint32) bool) (holderTakenFrom uint32, ok bool) {
	if word.CompareAndSwap(0, pid) {
		return 0, true
	}
	return lockSlow(word, pid, done, stale, false)
}

// lockSlow waits for word as a waiter, which takes it marked contended;
// deferring, it leaves a word HandOff handed over to the waiters for one
// sleep.
func lockSlow(word *atomic.Uint32, pid uint32, done <-chan struct{}, stale func(holder uint32) bool, deferring bool) (holderTakenFrom uint32, ok bool) {
	start := time.Now()
	for ; ; deferring = false {
		v := word.Load()
		if v == 0 || v == handedOff && !deferring {
			if word.CompareAndSwap(v, pid|contendedBit) {
				return 0, true
			}
			continue
		}
		holder := v & pidMask
		if holder == pid || (time.Since(start) >= StealAfter && stale(holder)) {
			// Our own pid can only be stale (a file from an earlier process
			// with the same pid): the caller excludes our own goroutines.
			if word.CompareAndSwap(v, pid|contendedBit) {
				return max(holder, 1), true
			}
			continue
		}
		if v&contendedBit == 0 && !word.CompareAndSwap(v, v|contendedBit) {
			continue
		}
		select {
		case <-done:
			if word.CompareAndSwap(handedOff, 0) {
				futexWake(word) // it may have been handed to us
			}
			return 0, false
		default:
		}
		futexWait(word, v|contendedBit, waitSlice)
	}
}

// Unlock releases word and wakes a waiter if there is one.
func Unlock(word *atomic.Uint32) {
	if word.Swap(0)&contendedBit != 0 {
		futexWake(word)
	}
}

// Holder is the pid holding word, or 0.
func Holder(word *atomic.Uint32) uint32 { return word.Load() & pidMask }

// Release frees word if the process pid (which must be dead) holds it, and
// reports whether it did.
func Release(word *atomic.Uint32, pid uint32) bool {
	for {
		v := word.Load()
		if v&pidMask != pid || pid == 0 {
			return false
		}
		if word.CompareAndSwap(v, 0) {
			if v&contendedBit != 0 {
				futexWake(word)
			}
			return true
		}
	}
}

// TakeFrom takes word for pid if the process dead (which must be dead)
// holds it, and reports whether it did: the caller repairs, then Unlocks.
func TakeFrom(word *atomic.Uint32, dead, pid uint32) bool {
	v := word.Load()
	return dead != 0 && v&pidMask == dead && word.CompareAndSwap(v, pid|contendedBit)
}
