//go:build unix

package scoreboard

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func mapFile(f *os.File, n int) (*Board, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("scoreboard: mmap: %w", err)
	}
	return &Board{file: f, mem: mem}, nil
}

func unmap(mem []byte) error { return unix.Munmap(mem) }
