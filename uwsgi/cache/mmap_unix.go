//go:build unix

package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

func mapShared(f *os.File, n int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func unmapShared(mem []byte) error { return unix.Munmap(mem) }

func msync(mem []byte) error { return unix.Msync(mem, unix.MS_SYNC) }
