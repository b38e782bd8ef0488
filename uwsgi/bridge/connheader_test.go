package bridge

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConnectionHeaderAsNetHTTP: r.Header["Connection"] and r.Close for
// HTTP/1.0 and 1.1 requests with and without a Connection header, served
// by the bridge's HTTP socket and by plain net/http from the same raw
// bytes. fasthttp reports an HTTP/1.0 request's implied close as a
// "Connection: close" header the client never sent.
func TestConnectionHeaderAsNetHTTP(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%q %v", r.Header["Connection"], r.Close)
	})
	base, _ := serve(t, h)
	plain := httptest.NewServer(h)
	defer plain.Close()
	for _, raw := range []string{
		"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: x\r\nconnection: Keep-Alive\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nCONNECTION: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\n\r\n",
	} {
		got, want := rawBody(t, strings.TrimPrefix(base, "http://"), raw), rawBody(t, strings.TrimPrefix(plain.URL, "http://"), raw)
		if got != want {
			t.Errorf("%q: the bridge gave %s, net/http %s", raw, got, want)
		}
	}
}

// rawBody sends raw on a new connection to addr and returns the response's body.
func rawBody(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return b.String()
}
