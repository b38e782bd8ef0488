//go:build unix

// Package proc answers whether a process still runs, for the code that
// must tell a dead process from a live one by pid (a cache lock's holder,
// an attached daemon's pidfile), and says how one ended.
package proc

import (
	"bytes"
	"fmt"
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

// DescribeExit says how a process ended, for a log line: "exited with
// status N", "was killed by signal N", or "died" when unknown.
func DescribeExit(st *os.ProcessState) string {
	if st == nil {
		return "died"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("was killed by signal %d", ws.Signal())
	}
	return fmt.Sprintf("exited with status %d", st.ExitCode())
}
