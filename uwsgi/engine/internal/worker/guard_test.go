package worker

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/valyala/fasthttp"
)

func TestRejectHTTPAllocatesNothing(t *testing.T) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetRequestURI("/view/page?x=1")
	if err := ctx.Request.Header.Read(bufioReader("GET /view/page?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	w := &Worker{opts: options.Options{MaxVars: 64}}
	if st, why := w.rejectHTTP(&ctx); st != 0 {
		t.Fatalf("a good request was refused: %d %s", st, why)
	}
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	if n := testing.AllocsPerRun(100, func() { w.rejectHTTP(&ctx) }); n != 0 {
		t.Fatalf("%.1f allocations per request", n)
	}
	for _, bad := range []string{"X A: b", "X-A\x01: b"} {
		var c fasthttp.RequestCtx
		if err := c.Request.Header.Read(bufioReader("GET / HTTP/1.1\r\nHost: x\r\n" + bad + "\r\n\r\n")); err != nil {
			continue // fasthttp refused it itself
		}
		if st, _ := w.rejectHTTP(&c); st != fasthttp.StatusBadRequest {
			t.Errorf("%q: %d", bad, st)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestRejectHTTPVersionsAndTargets(t *testing.T) {
	w := &Worker{opts: options.Options{MaxVars: 64}}
	for _, tc := range []struct {
		line      string
		status    int
		uri, host string // after the check, for a request served
	}{
		{"GET /a?b HTTP/1.1", 0, "/a?b", "h"},
		{"GET /a HTTP/1.0", 0, "/a", "h"},
		{"GET /a HTTP/1.2", 0, "/a", "h"},
		{"GET /a HTTP/2.0", fasthttp.StatusHTTPVersionNotSupported, "", ""},
		{"GET /a HTTP/3.0", fasthttp.StatusHTTPVersionNotSupported, "", ""},
		{"GET http://example.com:8080/p%20q?x=1 HTTP/1.1", 0, "/p%20q?x=1", "example.com:8080"},
		{"GET https://example.com HTTP/1.1", 0, "/", "example.com"},
		{"GET http:///p HTTP/1.1", fasthttp.StatusBadRequest, "", ""},
		{"OPTIONS * HTTP/1.1", 0, "*", "h"},
	} {
		var c fasthttp.RequestCtx
		if err := c.Request.Header.Read(bufioReader(tc.line + "\r\nHost: h\r\n\r\n")); err != nil {
			t.Errorf("%q: fasthttp: %v", tc.line, err)
			continue
		}
		st, why := w.rejectHTTP(&c)
		if st != tc.status {
			t.Errorf("%q: %d (%s), want %d", tc.line, st, why, tc.status)
			continue
		}
		if st == 0 {
			if uri, host := string(c.Request.Header.RequestURI()), string(c.Request.Header.Host()); uri != tc.uri || host != tc.host {
				t.Errorf("%q: target %q host %q, want %q %q", tc.line, uri, host, tc.uri, tc.host)
			}
			if tc.host == "example.com:8080" && string(c.Path()) != "/p q" {
				t.Errorf("%q: path %q", tc.line, c.Path())
			}
		}
	}
}

// isToken reports whether b is an RFC 9110 token.
func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// checkHeaderLinesRef is the straightforward scan checkHeaderLines
// replaced (line by line: split, trim, find the colon, check the name):
// the fuzz test holds the two to the same answers.
func checkHeaderLinesRef(raw []byte, maxHeaders int) (int, string) {
	n, hasCL, hasTE := 0, false, false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		if n++; n > maxHeaders {
			return fasthttp.StatusRequestHeaderFieldsTooLarge, "too many headers"
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return fasthttp.StatusBadRequest, "invalid header name"
		}
		hasCL = hasCL || bytes.EqualFold(line[:colon], headerContentLength)
		hasTE = hasTE || bytes.EqualFold(line[:colon], headerTransferEncoding)
	}
	if hasCL && hasTE {
		return fasthttp.StatusBadRequest, "both Content-Length and Transfer-Encoding"
	}
	return 0, ""
}

func FuzzCheckHeaderLines(f *testing.F) {
	for _, s := range []string{
		"Host: x\r\n\r\n",
		"Host: x\r\nContent-Length: 3\r\ntransfer-encoding: chunked\r\n\r\n",
		"Host: x\r\nX A: b\r\n",
		"Host: x\nX-B:c\n\n",
		"Host: x\r\n\rX: y\r\n",
		"A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n",
		" folded\r\n",
		":novalue\r\n",
		"Content-Lengthx: 1\r\nTransfer-Encodin: x\r\n",
		"X: a:b:c\r\n\r",
	} {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		got, gotWhy := checkHeaderLines(raw, max)
		want, wantWhy := checkHeaderLinesRef(raw, max)
		if got != want || gotWhy != wantWhy {
			t.Fatalf("%q (max %d): %d %q, the reference scan %d %q", raw, max, got, gotWhy, want, wantWhy)
		}
	})
}
