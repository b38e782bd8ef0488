package worker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/valyala/fasthttp"
)

// memConn is a net.Conn reading from a buffer, counting what was read.
type memConn struct {
	net.Conn
	r    io.Reader
	read int64
}

func (c *memConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

// guarded parses a request from raw as the HTTP server does (fasthttp's
// header and streaming body reader over a drainConn) and returns the guard
// the handler would read, and the connection.
func guarded(t testing.TB, raw []byte, limit int64) (*socket.BodyGuard, *memConn, bool) {
	mc := &memConn{r: bytes.NewReader(raw)}
	dc := &socket.DrainConn{Conn: mc, L: socket.NewDrainListener(nil, nil)}
	br := bufio.NewReaderSize(dc, 4096)
	var req fasthttp.Request
	if err := req.Header.Read(br); err != nil {
		return nil, nil, false
	}
	if err := req.ContinueReadBodyStream(br, inMemoryBody, false); err != nil {
		return nil, nil, false
	}
	stream := req.BodyStream()
	if stream == nil {
		return nil, nil, false
	}
	dc.Body.Reset(stream, int64(req.Header.ContentLength()), limit, 4096)
	return &dc.Body, mc, true
}

const chunkedHead = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

func readGuard(g *socket.BodyGuard, size int) (int64, error) {
	buf := make([]byte, size)
	var n int64
	for {
		m, err := g.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func TestBodyGuardCutShort(t *testing.T) {
	raw := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("a", 70000)
	g, _, ok := guarded(t, []byte(raw), 0)
	if !ok {
		t.Fatal("not parsed")
	}
	n, err := readGuard(g, 32<<10)
	if n != 70000 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read %d, %v; want 70000, unexpected EOF", n, err)
	}
	if msg := bodyFailure(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, g); !strings.Contains(msg, "cut short: 230000 of 300000 bytes missing") {
		t.Errorf("log line %q", msg)
	}
}

func TestBodyGuardChunkedLimit(t *testing.T) {
	body := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(chunkedHead)
		for n > 0 {
			c := min(n, 1000)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", c, strings.Repeat("a", c))
			n -= c
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	}
	for _, tc := range []struct {
		size int
		want error
	}{{10000, nil}, {10001, socket.ErrBodyTooLarge}, {50000, socket.ErrBodyTooLarge}} {
		for _, buf := range []int{1, 7, 4096, 1 << 20} {
			g, _, _ := guarded(t, body(tc.size), 10000)
			n, err := readGuard(g, buf)
			if err != tc.want || n > 10000 || (err == nil && n != int64(tc.size)) {
				t.Errorf("%d bytes, %d-byte reads: read %d, %v; want %v", tc.size, buf, n, err, tc.want)
			}
		}
	}
}

func TestBodyGuardChunkExtensions(t *testing.T) {
	raw := chunkedHead + "5;" + strings.Repeat("x", 10<<20) + "\r\nhello\r\n0\r\n\r\n"
	g, mc, _ := guarded(t, []byte(raw), 0)
	if _, err := readGuard(g, 32<<10); err != socket.ErrChunkOverhead {
		t.Fatalf("err %v, want %v", err, socket.ErrChunkOverhead)
	}
	if mc.read > 64<<10 {
		t.Errorf("read %d bytes of the extension before refusing it", mc.read)
	}
	// Extensions of 100 bytes on 1-byte chunks add up past the rule, each
	// within a read's allowance.
	var many strings.Builder
	many.WriteString(chunkedHead)
	for range 2000 {
		many.WriteString("1;" + strings.Repeat("e", 100) + "\r\na\r\n")
	}
	many.WriteString("0\r\n\r\n")
	g, _, _ = guarded(t, []byte(many.String()), 0)
	if n, err := readGuard(g, 32<<10); err != socket.ErrChunkOverhead || n > 1000 {
		t.Fatalf("many long extensions: read %d, %v; want %v", n, err, socket.ErrChunkOverhead)
	}
	// One-byte chunks with short extensions are within net/http's rule.
	var b strings.Builder
	b.WriteString(chunkedHead)
	for range 5000 {
		b.WriteString("1;name=value\r\na\r\n")
	}
	b.WriteString("0\r\n\r\n")
	g, _, _ = guarded(t, []byte(b.String()), 0)
	if n, err := readGuard(g, 32<<10); n != 5000 || err != nil {
		t.Fatalf("small chunks: read %d, %v", n, err)
	}
}

// FuzzChunkedBody feeds chunked bodies to fasthttp's decoder behind the
// guard, with --limit-post on: the guard never hands out more than the
// limit, the framing read stays within the overhead rule, nothing panics.
func FuzzChunkedBody(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5;ext=1\r\nhello\r\n0\r\n\r\n",
		"1\r\na\r\n1\r\nb\r\n0\r\nTrailer: x\r\n\r\n",
		"40\r\n" + strings.Repeat("z", 64) + "\r\n0\r\n\r\n",
		"5;" + strings.Repeat("x", 20000) + "\r\nhello\r\n0\r\n\r\n",
		"ffffffffffffffff\r\n",
		"5\r\nhel",
		"zz\r\n",
	} {
		f.Add([]byte(s), uint16(50), uint16(7))
	}
	f.Fuzz(func(t *testing.T, body []byte, limit, bufSize uint16) {
		lim := int64(limit) + 1
		g, mc, ok := guarded(t, append([]byte(chunkedHead), body...), lim)
		if !ok {
			return
		}
		size := int(bufSize)%5000 + 1
		n, err := readGuard(g, size)
		if n > lim {
			t.Fatalf("handed out %d bytes over a limit of %d", n, lim)
		}
		if err == nil && n != g.N {
			t.Fatalf("count %d, guard says %d", n, g.N)
		}
		// The framing read beyond the data is bounded as net/http bounds it,
		// plus a read's buffer and the read-ahead (before and during).
		over := mc.read - int64(len(chunkedHead)) - n
		if over > int64(size)+socket.ChunkOverheadBase+16*g.Reads+2*n+2*4096 {
			t.Fatalf("read %d bytes of framing for %d of data in %d reads", over, n, g.Reads)
		}
	})
}
