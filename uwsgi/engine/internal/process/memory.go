package process

import (
	"os"
	"strconv"
	"strings"
)

// ProcessMemory reads a process's RSS and VSZ in bytes from /proc.
func ProcessMemory(pid int) (rss, vsz uint64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, 0
	}
	page := uint64(os.Getpagesize())
	v, _ := strconv.ParseUint(f[0], 10, 64)
	r, _ := strconv.ParseUint(f[1], 10, 64)
	return r * page, v * page
}
