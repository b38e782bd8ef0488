package e2e

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestUwsgiSocketBadInput sends malformed packets over raw connections: each
// gets its connection closed (or an answer) and one log line, and a good
// request on a new connection succeeds after each.
func TestUwsgiSocketBadInput(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", addr, "--socket-timeout", "1", "--buffer-size", "1024", "--max-vars", "8", "--limit-post", "100000")
	waitDial(t, "tcp", addr, p)
	many := map[string]string{}
	for i := range 40 {
		many[fmt.Sprintf("HTTP_X_%d", i)] = "v"
	}
	post := getVars("/echo")
	post["REQUEST_METHOD"], post["CONTENT_LENGTH"] = "POST", "100"
	huge := getVars("/echo")
	huge["REQUEST_METHOD"], huge["CONTENT_LENGTH"] = "POST", "200000"
	for _, tc := range []struct {
		name string
		send []byte
		log  string
	}{
		{"nothing then close", []byte{}, ""},
		{"truncated header", []byte{0, 10}, "after 2 bytes of an incomplete request packet"},
		{"truncated vars", append([]byte{0, 50, 0, 0}, 5, 0, 'A'), "after 7 bytes of an incomplete request packet"},
		{"var longer than the packet", append([]byte{0, 5, 0, 0}, 1, 0, 'A', 9, 0), "invalid uwsgi request"},
		{"zero-length key", append([]byte{0, 5, 0, 0}, 0, 0, 1, 0, 'x'), "uwsgi key cannot be null"},
		{"too many vars", uwsgiPacket(0, many)[:], "max vec size reached"},
		{"packet over buffer-size", []byte{0, 0xff, 0x7f, 0}, "invalid request block size: 32767 (max 1024)"},
		{"HTTP spoken to a uwsgi socket", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "invalid request block size: 21573"},
		{"unknown modifier1", uwsgiPacket(42, getVars("/view/")), "unavailable modifier requested: 42"},
		{"body shorter than CONTENT_LENGTH", append(uwsgiPacket(0, post), "short"...), "cut short"},
		{"CONTENT_LENGTH over limit-post", uwsgiPacket(0, huge), "Invalid (too big) CONTENT_LENGTH"},
		{"silent client", []byte{}, "timeout reading the request packet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(p.log.String(), tc.log)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write(tc.send)
			if tc.name != "silent client" {
				c.(*net.TCPConn).CloseWrite()
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			io.Copy(io.Discard, c)
			c.Close()
			if tc.log != "" {
				p.waitLog(tc.log, 5*time.Second)
				if n := strings.Count(p.log.String(), tc.log); n != before+1 {
					t.Errorf("%q logged %d times, want once", tc.log, n-before)
				}
			}
			if _, body, err := uwsgiGet("tcp", addr, "/view/"); err != nil || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after %q: %q %v", tc.name, body, err)
			}
		})
	}
}
