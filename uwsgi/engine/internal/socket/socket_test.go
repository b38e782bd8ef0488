package socket

import "testing"

func TestSplitAddr(t *testing.T) {
	for _, tc := range []struct{ in, network, addr string }{
		{":9090", "tcp", ":9090"},
		{"127.0.0.1:3031", "tcp", "127.0.0.1:3031"},
		{"[::1]:3031", "tcp", "[::1]:3031"},
		{"/run/app.sock", "unix", "/run/app.sock"},
		{"app.sock", "unix", "app.sock"},
		{"@abstract", "unix", "@abstract"},
	} {
		if n, a := SplitAddr(tc.in); n != tc.network || a != tc.addr {
			t.Errorf("splitAddr(%q) = %s %s, want %s %s", tc.in, n, a, tc.network, tc.addr)
		}
	}
}
