package master

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestWatchdogPeriod(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"0", "", 0},
		{"bad", "", 0},
		{"30000000", "", 15 * time.Second},
		{"30000000", me, 15 * time.Second},
		{"30000000", "1", 0}, // another process's watchdog
	} {
		if got := watchdogPeriod(tc.usec, tc.pid); got != tc.want {
			t.Errorf("watchdogPeriod(%q, %q) = %v, want %v", tc.usec, tc.pid, got, tc.want)
		}
	}
}
