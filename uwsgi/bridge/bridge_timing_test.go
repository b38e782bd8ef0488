package bridge

import (
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

var helloBody = []byte("<h1>Hello World</h1>")

func helloHandler(w http.ResponseWriter, r *http.Request) { w.Write(helloBody) }

// helloCtx is a browser-like GET with eight headers.
func helloCtx() *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI("/view/?page=1")
	req.Header.SetHost("example.com")
	for k, v := range map[string]string{
		"User-Agent": "Mozilla/5.0", "Accept": "text/html", "Accept-Encoding": "gzip, deflate",
		"Accept-Language": "en-US", "Cookie": "session=0123456789abcdef", "Referer": "http://example.com/",
		"Connection": "keep-alive", "X-Request-Id": "abc-123",
	} {
		req.Header.Set(k, v)
	}
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	return ctx
}

// TestHelloAllocations: a hello GET through the bridge allocates its
// Header map (two allocations: the map and its group) and one for its
// objects (Request, URL, context, body, header values and the request's
// strings); a bare GET (only Host, as wrk sends) an empty map and its
// objects; with ReuseRequests only the string. Allocation counts are
// deterministic; timings are not asserted anywhere.
func TestHelloAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are checked without -race (make test does both)")
	}
	if ctxOffset == ^uintptr(0) {
		t.Error("http.Request has no ctx field of type context.Context: each request allocates a second Request")
	}
	for _, c := range []struct {
		name  string
		ctx   func() *fasthttp.RequestCtx
		reuse bool
		max   float64
	}{
		{"hello GET", helloCtx, false, 3}, {"hello GET", helloCtx, true, 1},
		{"bare GET", bareCtx, false, 2}, {"bare GET", bareCtx, true, 1},
		{"wrk's GET", wrkCtx, false, 2}, {"wrk's GET", wrkCtx, true, 1},
	} {
		s := &Server{Handler: http.HandlerFunc(helloHandler), ReuseRequests: c.reuse}
		ctx := c.ctx()
		n := testing.AllocsPerRun(200, func() {
			ctx.Response.Reset()
			s.Serve(ctx, ModeHTTP, nil)
		})
		if n > c.max {
			t.Errorf("%s, ReuseRequests=%v: %v allocations through the bridge, want at most %v", c.name, c.reuse, n, c.max)
		}
		t.Logf("%s, ReuseRequests=%v: %v allocations", c.name, c.reuse, n)
	}
}

// bareCtx is a GET with only a Host header, as wrk sends in make bench.
func bareCtx() *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI("/view/")
	req.Header.SetHost("127.0.0.1:9090")
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	return ctx
}

// wrkCtx is wrk's GET (only Host) parsed off the wire, on a bridge Conn.
func wrkCtx() *fasthttp.RequestCtx {
	return wireCtx("GET /view/ HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n\r\n")
}

// processCPU is the CPU time the process used so far (all threads: the
// garbage collector's work too).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serveLoop serves ctx over and over, and reports beside ns/op (wall
// time, which a busy machine inflates) the process CPU time per request,
// garbage collection included.
func serveLoop(b *testing.B, s *Server, ctx *fasthttp.RequestCtx) {
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		ctx.Response.Reset()
		s.Serve(ctx, ModeHTTP, nil)
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkBridgeServe(b *testing.B) {
	serveLoop(b, &Server{Handler: http.HandlerFunc(helloHandler)}, helloCtx())
}

// BenchmarkBridgeServeReuse is BenchmarkBridgeServe with the opt-in
// request reuse.
func BenchmarkBridgeServeReuse(b *testing.B) {
	serveLoop(b, &Server{Handler: http.HandlerFunc(helloHandler), ReuseRequests: true}, helloCtx())
}

func BenchmarkBridgeServeParallel(b *testing.B) {
	s := &Server{Handler: http.HandlerFunc(helloHandler)}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := helloCtx()
		for pb.Next() {
			ctx.Response.Reset()
			s.Serve(ctx, ModeHTTP, nil)
		}
	})
}

// BenchmarkAdaptor is fasthttp's own net/http adaptor on the same request.
func BenchmarkAdaptor(b *testing.B) {
	h := fasthttpadaptor.NewFastHTTPHandler(http.HandlerFunc(helloHandler))
	ctx := helloCtx()
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		h(ctx)
	}
}

// BenchmarkBridgeServeBare is a GET with only a Host header (bareCtx).
func BenchmarkBridgeServeBare(b *testing.B) {
	serveLoop(b, &Server{Handler: http.HandlerFunc(helloHandler)}, bareCtx())
}

// addrConn is a connection that only has addresses: the bridge's Conn
// over it caches them as it does over a socket.
type addrConn struct{ net.Conn }

func (addrConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (addrConn) LocalAddr() net.Addr  { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090} }

// BenchmarkBridgeServeHello is the request make bench's RunHandler row
// serves, as the engine's HTTP socket serves it: wrk's GET with only Host,
// parsed off the wire, on a bridge Conn, with the core's Control and
// HTTPVars, routed by a ServeMux to examples/hello's handler.
func BenchmarkBridgeServeHello(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("/view/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "<h1>Hello World</h1>") })
	s := &Server{Handler: mux}
	ctx := wireCtx("GET /view/ HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n\r\n")
	vars := &HTTPVars{ServerName: "127.0.0.1", ServerPort: "9090"}
	var ctl Control
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		ctx.Response.Reset()
		s.ServeControlled(ctx, ModeHTTP, vars, &ctl)
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}
