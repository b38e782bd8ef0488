package bridge

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// TestStateSizes: each request state fills its allocation's size class
// (with the 8-byte header of an object with pointers over 512 bytes): the
// inline bytes take the room the state leaves, to less than a word. A
// field added to reqState shows here first.
func TestStateSizes(t *testing.T) {
	const header = 8
	for _, c := range []struct {
		name        string
		size, class uintptr
	}{
		{"smallState", unsafe.Sizeof(smallState{}), 640},
		{"largeState", unsafe.Sizeof(largeState{}), 896},
	} {
		slack := int(c.class) - int(c.size+header)
		if slack < 0 || slack >= 8 {
			t.Errorf("%s (%d bytes) leaves %d of its %d-byte size class: resize its inline bytes", c.name, c.size, slack, c.class)
		}
	}
}

// TestPlainURI: the URIs parseURL reads itself give the URL net/url gives.
func TestPlainURI(t *testing.T) {
	for _, uri := range []string{"/", "/view/", "/a?b=1", "/a?", "/a??b", "/a?b?c", "/?", "/a/b/../c?x=y&z", "/a%20b", "/a#f", "*", "http://h/x?y"} {
		want, werr := url.ParseRequestURI(uri)
		ex := &exchange{rs: new(reqState)}
		err := ex.parseURL(uri)
		if (err != nil) != (werr != nil) {
			t.Errorf("%q: error %v, net/url %v", uri, err, werr)
			continue
		}
		if err == nil && ex.rs.url != *want {
			t.Errorf("%q: parsed as %#v, net/url %#v", uri, ex.rs.url, *want)
		}
	}
}

// TestHTTPVarsNotHTTPSReporter: ServeControlled skips the httpsReporter
// check for *HTTPVars, which must then not be one.
func TestHTTPVarsNotHTTPSReporter(t *testing.T) {
	var v VarsSource = &HTTPVars{}
	if _, ok := v.(httpsReporter); ok {
		t.Fatal("*HTTPVars is an httpsReporter: ServeControlled must ask it")
	}
}

// wireCtx is a request context on a bridge Conn holding raw, parsed as
// the HTTP socket parses it.
func wireCtx(raw string) *fasthttp.RequestCtx {
	ctx := new(fasthttp.RequestCtx)
	ctx.Init2(NewConn(addrConn{}), nil, false)
	if err := ctx.Request.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		panic(fmt.Sprintf("%q: %v", raw, err))
	}
	return ctx
}

// TestSmallStates: requests parsed off the wire get the small state
// (no body reader) exactly when they have no body and no header but Host
// (wrk's GET: fasthttp says -2 for its missing Content-Length), and the
// handler gets http.NoBody exactly when hasBody says there is none.
func TestSmallStates(t *testing.T) {
	for _, c := range []struct {
		raw         string
		small, body bool
	}{
		{"GET /view/ HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n\r\n", true, false},
		// No header at all: the close HTTP/1.0 implies is not one
		// (TestConnectionHeaderAsNetHTTP).
		{"GET / HTTP/1.0\r\n\r\n", true, false},
		{"HEAD /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n", true, false},
		{"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", false, false},
		{"GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n", false, false},
		{"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", false, true},
		{"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false, true},
	} {
		ctx := wireCtx(c.raw)
		ex := exchangePool.Get().(*exchange)
		ex.srv, ex.fctx, ex.bc = &Server{}, ctx, ctx.Conn().(*Conn)
		if err := ex.buildRequest(ctx, false); err != nil {
			t.Fatalf("%q: %v", c.raw, err)
		}
		small, body := len(ex.inline) == smallInline, ex.req.Body != http.NoBody
		if small != c.small || body != c.body || hasBody(&ctx.Request.Header) != body {
			t.Errorf("%q: small state %v, body %v (hasBody %v), want %v, %v", c.raw, small, body, hasBody(&ctx.Request.Header), c.small, c.body)
		}
		ex.release()
	}
}

// BenchmarkDeferContinue is the HTTP socket's header hook on wrk's GET.
func BenchmarkDeferContinue(b *testing.B) {
	h := &wireCtx("GET /view/ HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n\r\n").Request.Header
	for b.Loop() {
		if DeferContinue(h) {
			b.Fatal("a GET with no body deferred")
		}
	}
}
