package socket

import (
	"net"
	"testing"
)

func TestRemoteIPAllocatesOncePerConnection(t *testing.T) {
	dc := &DrainConn{}
	v4 := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 5000}
	v6 := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 5000}
	mapped := &net.TCPAddr{IP: net.ParseIP("::ffff:198.51.100.1"), Port: 1}
	for _, tc := range []struct {
		a    net.Addr
		want string
	}{{v4, "192.0.2.7"}, {v6, "2001:db8::1"}, {mapped, "198.51.100.1"}, {&net.UnixAddr{Name: "@x", Net: "unix"}, ""}} {
		if got := string(RemoteIP(nil, dc, tc.a)); got != tc.want {
			t.Errorf("%v on a connection: %q, want %q", tc.a, got, tc.want)
		}
		if got := string(RemoteIP([]byte("x"), nil, tc.a)); got != "x"+tc.want {
			t.Errorf("%v without one: %q, want %q", tc.a, got, "x"+tc.want)
		}
	}
	// The connection's own peer is formatted once; a request with another
	// address (a PROXY header, say) gets its own text.
	first := RemoteIP(nil, dc, v4)
	if again := RemoteIP(nil, dc, v4); &again[0] != &first[0] {
		t.Error("the text of the same address was made again")
	}
	if n := testing.AllocsPerRun(100, func() { RemoteIP(nil, dc, v4) }); n != 0 && !raceOn {
		t.Errorf("%.1f allocations per request for the connection's peer", n)
	}
	if got := string(RemoteIP(nil, dc, v6)); got != "2001:db8::1" {
		t.Errorf("another address: %q", got)
	}
	if b := append(RemoteIP(nil, dc, v6), '!'); string(RemoteIP(nil, dc, v6)) != "2001:db8::1" || string(b) != "2001:db8::1!" {
		t.Error("appending to the shared text changed it")
	}
}
