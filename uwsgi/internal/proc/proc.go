//go:build unix

// Package proc answers whether a process still runs, for the code that
// must tell a dead process from a live one by pid (a cache lock's holder,
// an attached daemon's pidfile).
package proc

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// Alive reports whether pid runs: it exists and is not a zombie waiting to
// be reaped. Without /proc only existence is checked.
func Alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) == syscall.ESRCH {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name, which ends with the last ')'.
	if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z' && b[i+2] != 'X'
	}
	return true
}
