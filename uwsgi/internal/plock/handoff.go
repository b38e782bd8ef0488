package plock

import "sync/atomic"

// handedOff is the word as HandOff leaves it for the waiters: no process
// has that pid (Linux pids stay below 2^22).
const handedOff = pidMask | contendedBit

// HandOff releases word to the processes sleeping on it, for locks whose
// point is taking turns (the workers' accept turns): when one sleeps, word
// is left handed off, which only a waiter takes (LockUntil takes it through
// its waiting path), and one sleeper is woken; it reports whether one was.
// The caller asks again with LockAfterHandOff. Unlock instead frees the
// word for whoever runs first: the process that just unlocked is back
// before the woken one gets a CPU on a loaded machine, takes it again, and
// turns do not go round.
func HandOff(word *atomic.Uint32) (woke bool) {
	for {
		v := word.Load()
		if v&contendedBit == 0 {
			if word.CompareAndSwap(v, 0) {
				return false
			}
			continue
		}
		if word.CompareAndSwap(v, handedOff) {
			break
		}
	}
	if futexWake(word) {
		return true
	}
	word.CompareAndSwap(handedOff, 0) // nobody slept: free, unless taken meanwhile
	return false
}

// LockAfterHandOff is LockUntil for a caller whose HandOff woke a waiter:
// it leaves the handed-off word to the waiters for one sleep (at most
// 50 ms, should the woken one give up), then waits like any waiter.
func LockAfterHandOff(word *atomic.Uint32, pid uint32, done <-chan struct{}, stale func(holder uint32) bool) (holderTakenFrom uint32, ok bool) {
	return lockSlow(word, pid, done, stale, true)
}
