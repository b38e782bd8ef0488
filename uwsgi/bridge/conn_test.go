package bridge

import (
	"io"
	"net"
	"strings"
	"testing"
)

// chunkConn returns its data in the given pieces, one per Read.
type chunkConn struct {
	net.Conn
	pieces []string
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.pieces[0])
	c.pieces[0] = c.pieces[0][n:]
	if c.pieces[0] == "" {
		c.pieces = c.pieces[1:]
	}
	return n, nil
}

// TestConnStopsAtHeaderEnd: while a header is awaited, no Read returns a
// byte past its "\r\n\r\n", however the bytes arrive; the rest follows in
// order, and after NextRequest the next header is cut again.
func TestConnStopsAtHeaderEnd(t *testing.T) {
	const req1, rest1 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PING\r\n\r\nbody"
	const req2 = "GET /2 HTTP/1.1\r\n\r\n"
	full := req1 + rest1
	for split := 1; split < len(full); split++ {
		c := NewConn(&chunkConn{pieces: []string{full[:split], full[split:]}})
		var got []string
		buf := make([]byte, 100)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				got = append(got, string(buf[:n]))
			}
			if err != nil {
				break
			}
		}
		if strings.Join(got, "") != full {
			t.Fatalf("split %d: bytes lost or reordered: %q", split, got)
		}
		// The header ends a Read; nothing of the rest came with it.
		joined := ""
		for _, g := range got {
			joined += g
			if len(joined) >= len(req1) {
				break
			}
		}
		if joined != req1 {
			t.Fatalf("split %d: the reads up to the header's end gave %q", split, joined)
		}
	}
	c := NewConn(&chunkConn{pieces: []string{req1 + req2 + "x"}})
	buf := make([]byte, 100)
	if n, _ := c.Read(buf); string(buf[:n]) != req1 {
		t.Fatalf("first read %q", buf[:n])
	}
	c.NextRequest()
	if n, _ := c.Read(buf); string(buf[:n]) != req2 {
		t.Fatalf("after NextRequest %q", buf[:n])
	}
	if n, _ := c.Read(buf); string(buf[:n]) != "x" {
		t.Fatalf("then %q", buf[:n])
	}
}

// repeatConn returns the same bytes on every Read.
type repeatConn struct {
	net.Conn
	b []byte
}

func (c repeatConn) Read(p []byte) (int, error) { return copy(p, c.b), nil }

// BenchmarkConnRead is the bridge Conn's part of a wrk request: one Read
// returning a whole header, then the end of the request.
func BenchmarkConnRead(b *testing.B) {
	c := NewConn(repeatConn{b: []byte("GET /view/ HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n\r\n")})
	p := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		if n, _ := c.Read(p); n != 45 {
			b.Fatalf("read %d bytes", n)
		}
		c.endRequest(true)
	}
}
