//go:build unix

// Package shm makes and maps the shared memory the master passes to its
// workers (the scoreboard, the caches): an anonymous memory file (memfd on
// Linux, an unlinked temporary file elsewhere) mapped MAP_SHARED.
package shm

import (
	"os"

	"golang.org/x/sys/unix"
)

// Map maps n bytes of f, shared with every process that maps it.
func Map(f *os.File, n int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// Unmap undoes Map.
func Unmap(mem []byte) error { return unix.Munmap(mem) }

// Sync writes mapped file pages back to the file and waits for it.
func Sync(mem []byte) error { return unix.Msync(mem, unix.MS_SYNC) }
