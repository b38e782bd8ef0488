package socket

import (
	"io"
	"net"
	"testing"
)

func TestProxyConn(t *testing.T) {
	for _, tc := range []struct {
		send, remote, rest string
		bad                bool
	}{
		{"PROXY TCP4 203.0.113.7 10.0.0.1 56324 8080\r\nGET / HTTP/1.1\r\n\r\n", "203.0.113.7:56324", "GET / HTTP/1.1\r\n\r\n", false},
		{"PROXY TCP6 2001:db8::1 2001:db8::2 4000 443\r\nGET /", "[2001:db8::1]:4000", "GET /", false},
		{"PROXY UNKNOWN\r\nGET /", "", "GET /", false},
		{"GET / HTTP/1.1\r\n\r\n", "", "GET / HTTP/1.1\r\n\r\n", false},
		{"PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\nGET /", "", "", true},
		{"PROXY " + string(make([]byte, 200)), "", "", true},
	} {
		a, b := net.Pipe()
		go func() { b.Write([]byte(tc.send)); b.Close() }()
		c := &proxyConn{Conn: a}
		got, err := io.ReadAll(c)
		a.Close()
		if tc.bad {
			if err == nil {
				t.Errorf("%q: accepted", tc.send)
			}
			continue
		}
		if err != nil || string(got) != tc.rest {
			t.Errorf("%q: read %q, %v", tc.send, got, err)
		}
		if tc.remote != "" && c.RemoteAddr().String() != tc.remote {
			t.Errorf("%q: remote %s", tc.send, c.RemoteAddr())
		}
	}
}
