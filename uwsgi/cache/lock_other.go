//go:build !linux

package cache

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Without futexes a waiter polls the word.
func futexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	deadline := time.Now().Add(d)
	for word.Load() == val && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func futexWake(*atomic.Uint32) {}

func processExists(pid int) bool {
	return unix.Kill(pid, 0) != unix.ESRCH
}
