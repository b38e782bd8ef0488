package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// children lists the live (non-zombie) child PIDs of pid. Each thread has
// its own children list: a Go program starts processes from any thread.
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil && alive(n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// waitGone waits up to d until none of pids runs, and fails the test with
// what otherwise.
func waitGone(t *testing.T, d time.Duration, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for slices.ContainsFunc(pids, alive) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pids %v, after %v)", what, pids, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitChildren waits until pid has exactly n live children for which ok
// holds, and returns them.
func waitChildren(t *testing.T, pid, n int, d time.Duration, ok func([]int) bool) []int {
	t.Helper()
	deadline := time.Now().Add(d)
	var kids []int
	for time.Now().Before(deadline) {
		kids = children(pid)
		if len(kids) == n && (ok == nil || ok(kids)) {
			return kids
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("process %d: children %v after %v, want %d matching", pid, kids, d, n)
	return nil
}

func disjoint(a, b []int) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return false
		}
	}
	return true
}
