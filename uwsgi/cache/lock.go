package cache

import (
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/internal/proc"
)

// The cache lock is a word in the shared header holding the pid of the
// process that owns it (0 = free), plus contendedBit while other processes
// sleep on it. Within a process the goroutines first take the Cache's own
// mutex, so at most one goroutine per process waits on the shared word.
//
// A holder can be killed mid-operation. Two paths take such a lock back:
// the master calls RecoverFrom(pid) when it reaps a worker, and a waiter
// that has slept for stealAfter checks whether the holder still exists
// (a zombie counts as dead). Whoever takes the lock from a dead holder
// rebuilds every index from the item slots before using them (rebuild.go).
const (
	contendedBit = 1 << 31
	pidMask      = contendedBit - 1
	waitSlice    = 50 * time.Millisecond
	stealAfter   = 500 * time.Millisecond
)

// lockShared takes the shared word for pid; it returns the pid of the dead
// holder it was taken from (the caller must rebuild), or 0.
func lockShared(word *atomic.Uint32, pid uint32) (deadHolder uint32) {
	if word.CompareAndSwap(0, pid) {
		return 0
	}
	start := time.Now()
	for {
		v := word.Load()
		if v == 0 {
			if word.CompareAndSwap(0, pid|contendedBit) {
				return 0
			}
			continue
		}
		holder := v & pidMask
		if holder == pid || (time.Since(start) >= stealAfter && !proc.Alive(int(holder))) {
			// Our own pid can only be stale (a store file from an earlier
			// process with the same pid): the Cache mutex excludes our own.
			if word.CompareAndSwap(v, pid|contendedBit) {
				return max(holder, 1)
			}
			continue
		}
		if v&contendedBit == 0 && !word.CompareAndSwap(v, v|contendedBit) {
			continue
		}
		futexWait(word, v|contendedBit, waitSlice)
	}
}

// unlockShared releases the word and wakes a waiter if there is one.
func unlockShared(word *atomic.Uint32) {
	if word.Swap(0)&contendedBit != 0 {
		futexWake(word)
	}
}
