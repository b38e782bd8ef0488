package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHTTPLimits sends every hostile or malformed request of docs/limits.md
// over raw TCP, checks the status (or the close), one log line, and that a
// good request succeeds right after.
func TestHTTPLimits(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--limit-post", "1000", "--buffer-size", "4096", "--socket-timeout", "2")
	addr := strings.TrimPrefix(base, "http://")
	many := "GET / HTTP/1.1\r\nHost: x\r\n"
	for i := range 200 {
		many += fmt.Sprintf("X-%d: y\r\n", i)
	}
	for _, tc := range []struct {
		name   string
		send   string
		status int // 0: the connection just closes
		log    string
	}{
		{"header over buffer-size", "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 10000) + "\r\n\r\n", 431, "431 (request line or headers over --buffer-size 4096)"},
		{"request line over buffer-size", "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, "431 (request line or headers over --buffer-size 4096)"},
		{"body over limit-post, not sent", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413, "too big: Content-Length 5000 over --limit-post 1000: 413"},
		{"body over limit-post, sent", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1500\r\n\r\n" + strings.Repeat("b", 1500), 413, "too big: Content-Length 1500 over --limit-post 1000: 413"},
		{"too many headers", many + "\r\n", 431, "too many headers"},
		{"invalid method", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "unsupported http request method"},
		{"Content-Length and Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "both Content-Length and Transfer-Encoding"},
		{"two Content-Lengths", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400, "duplicate content-length"},
		{"negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400, "cannot parse content-length"},
		{"unsupported Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400, "bad HTTP request"},
		{"bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400, ""},
		{"NUL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, "invalid header value"},
		{"space in a header name", "GET / HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n", 400, "invalid header name"},
		{"non-ASCII request target", "GET /view/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid character in the request target"},
		{"HTTP/1.1 without Host", "GET /view/ HTTP/1.1\r\n\r\n", 400, "missing required host header"},
		{"HTTP/0.9 request", "GET /view/\r\n\r\n", 400, "cannot find whitespace"},
		{"header folded onto Host", "GET / HTTP/1.1\r\nHost: x\r\n : chunked\r\n\r\n", 400, "invalid Host header"},
		{"HTTP/2.0 spoken as text", "GET /view/ HTTP/2.0\r\nHost: x\r\n\r\n", 505, `unsupported HTTP version "HTTP/2.0"`},
		{"malformed HTTP version", "GET /view/ HTTP/1.x\r\nHost: x\r\n\r\n", 400, "malformed HTTP version"},
		{"absolute-form target without a host", "GET http:///view/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid absolute-form request target"},
		{"HTTP/1.0 without Host is fine", "GET /view/ HTTP/1.0\r\n\r\n", 200, ""},
		{"header never finished", "GET / HTTP/1.1\r\nHost: x\r\n", 408, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(p.log.String(), tc.log)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte(tc.send))
			reply, _ := io.ReadAll(bufio.NewReader(c))
			c.Close()
			status := 0
			if f := strings.Fields(string(reply)); len(f) > 1 {
				status, _ = strconv.Atoi(f[1])
			}
			if status != tc.status {
				t.Errorf("status %d (%.60q), want %d", status, reply, tc.status)
			}
			if tc.log != "" {
				deadline := time.Now().Add(5 * time.Second)
				for strings.Count(p.log.String(), tc.log) == before && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				time.Sleep(150 * time.Millisecond) // a second line would be flushed by now
				if n := strings.Count(p.log.String(), tc.log); n != before+1 {
					t.Errorf("%q logged %d times, want once", tc.log, n-before)
				}
			}
			if strings.Contains(p.log.String(), "error when serving connection") {
				t.Errorf("fasthttp logged the error a second time")
			}
			if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after: %d %q", code, body)
			}
		})
	}
}

// TestProxyProtocol: behind HAProxy or an ELB (--http-enable-proxy-protocol)
// the PROXY line's client is the request's REMOTE_ADDR; a connection
// without the line is served as usual; a malformed line gets a 400.
func TestProxyProtocol(t *testing.T) {
	_, base := httpServer(t, bins.testapp, nil, "--http-enable-proxy-protocol")
	addr := strings.TrimPrefix(base, "http://")
	send := func(data string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(data))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	got := send("PROXY TCP4 203.0.113.7 127.0.0.1 56324 8080\r\nGET /vars HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.Contains(got, `"REMOTE_ADDR":"203.0.113.7"`) || !strings.Contains(got, `"remote":"203.0.113.7:56324"`) {
		t.Errorf("with a PROXY line: %s", got)
	}
	if got := send("GET /vars HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.Contains(got, `"REMOTE_ADDR":"127.0.0.1"`) {
		t.Errorf("without one: %s", got)
	}
	if got := send("PROXY TCP4 nonsense\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 400") {
		t.Errorf("a malformed PROXY line: %q", got)
	}
}
