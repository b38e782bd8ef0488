package engine

import (
	"testing"
	"time"
)

func TestSplitAddr(t *testing.T) {
	for _, tc := range []struct{ in, network, addr string }{
		{":9090", "tcp", ":9090"},
		{"127.0.0.1:3031", "tcp", "127.0.0.1:3031"},
		{"[::1]:3031", "tcp", "[::1]:3031"},
		{"/run/app.sock", "unix", "/run/app.sock"},
		{"app.sock", "unix", "app.sock"},
		{"@abstract", "unix", "@abstract"},
	} {
		if n, a := splitAddr(tc.in); n != tc.network || a != tc.addr {
			t.Errorf("splitAddr(%q) = %s %s, want %s %s", tc.in, n, a, tc.network, tc.addr)
		}
	}
}

func TestHeaderNameAndDigits(t *testing.T) {
	if got := string(headerName(nil, []byte("X_FORWARDED_FOR"))); got != "X-Forwarded-For" {
		t.Errorf("headerName = %q", got)
	}
	for in, want := range map[string]int64{"123": 123, "12abc": 12, "": 0, "x1": 0} {
		if got := leadingDigits([]byte(in)); got != want {
			t.Errorf("leadingDigits(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestRespawnThrottle: more respawns than workers within a second delay the
// next one by two seconds, as uWSGI's fork-bomb guard.
func TestRespawnThrottle(t *testing.T) {
	var th respawnThrottle
	for i := range 3 {
		if d := th.next(3); d != 0 {
			t.Fatalf("respawn %d delayed by %v", i+1, d)
		}
	}
	if d := th.next(3); d != 2*time.Second {
		t.Fatalf("4th respawn within a second with 3 workers: delay %v, want 2s", d)
	}
}
