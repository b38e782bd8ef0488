package worker

import (
	"bufio"
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
