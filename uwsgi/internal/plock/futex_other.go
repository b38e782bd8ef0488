//go:build !linux

package plock

import (
	"sync/atomic"
	"time"
)

// Without futexes a waiter polls the word.
func futexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	deadline := time.Now().Add(d)
	for word.Load() == val && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func futexWake(*atomic.Uint32) bool { return false }
