package engine

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestRejectHTTPAllocatesNothing(t *testing.T) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetRequestURI("/view/page?x=1")
	if err := ctx.Request.Header.Read(bufioReader("GET /view/page?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	w := &Worker{opts: Options{MaxVars: 64}}
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
