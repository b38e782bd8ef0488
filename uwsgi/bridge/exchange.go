package bridge

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"

	"github.com/valyala/fasthttp"
)

// DefaultBufferSize is how many response bytes the bridge buffers before it
// starts streaming (and stops announcing a Content-Length).
const DefaultBufferSize = 64 << 10

// Mode says how a streamed response is framed on the wire.
type Mode uint8

const (
	// ModeHTTP frames streamed bodies with chunked encoding (HTTP/1.1) and
	// keeps the connection alive afterwards.
	ModeHTTP Mode = iota
	// ModeUwsgi writes streamed bodies raw and ends them by closing the
	// connection, as uWSGI does on a uwsgi socket.
	ModeUwsgi
)

// Server serves an http.Handler on fasthttp request contexts.
// Its fields must not change once Serve has been called.
type Server struct {
	// Handler is the app.
	Handler http.Handler
	// BufferSize is the response buffer; 0 means DefaultBufferSize.
	BufferSize int
	// HTTP is the fasthttp server the contexts come from; after a streamed
	// response it continues serving the connection. Nil closes it instead.
	HTTP *fasthttp.Server
	// Logf logs one server message (panics in handlers); nil discards.
	Logf func(format string, args ...any)
}

// Result tells the caller what happened to one request.
type Result struct {
	Status   int   // response status sent or buffered
	BodySize int64 // response body bytes the handler wrote
	Streamed bool  // the bridge wrote the response to the connection itself
	Hijacked bool  // the handler took the connection over
	Panicked bool  // the handler panicked (counted as an exception)
	Aborted  bool  // the handler panicked with http.ErrAbortHandler
	Static   bool  // a static file answered, not the handler (set by the engine)
	IOError  bool  // the request body could not be read whole (set by the engine)
	NoLog    bool  // a routing rule said donotlog: (set by the engine)
}

// VarsSource gives the CGI/uwsgi variables of a request to uwsgi.Vars.
type VarsSource interface {
	AppendVars(ctx *fasthttp.RequestCtx, m map[string]string)
}

// exchange is the pooled state of one bridged request.
type exchange struct {
	srv    *Server
	ctl    *Control
	fctx   *fasthttp.RequestCtx
	mode   Mode
	vars   VarsSource
	conn   *Conn
	req    *http.Request
	tmpl   *http.Request
	rctx   reqContext
	url    url.URL
	header http.Header
	pairs  []headerPair
	values []string
	blob   []byte
	body   bodyReader
	w      responseWriter
	st     streamer
	// declaredLength is the Content-Length the handler set, or -1.
	declaredLength int64
	scratch        []byte
}

var exchangePool = sync.Pool{New: func() any {
	ex := &exchange{header: make(http.Header, 16)}
	ex.tmpl = (&http.Request{}).WithContext(&ex.rctx)
	ex.req = new(http.Request)
	ex.w.ex = ex
	ex.w.header = make(http.Header, 8)
	return ex
}}

type varsKey struct{}

// httpsReporter is a VarsSource that knows the client used TLS in front of
// the proxy (HTTPS=on, UWSGI_SCHEME=https).
type httpsReporter interface {
	IsHTTPS() bool
}

// tlsUnknown marks a request whose TLS ended at the proxy, as net/http/cgi
// does: non-nil, with no details.
var tlsUnknown tls.ConnectionState

// value answers the context keys the bridge owns.
func (ex *exchange) value(key any) any {
	switch key {
	case varsKey{}:
		return ex
	case http.LocalAddrContextKey:
		return ex.fctx.LocalAddr()
	}
	return nil
}

// Serve runs the handler for the request in ctx and leaves the response in
// ctx.Response, unless it streamed or was hijacked (see Result). vars may be
// nil, in which case uwsgi.Vars derives the variables from the request.
func (s *Server) Serve(ctx *fasthttp.RequestCtx, mode Mode, vars VarsSource) (res Result) {
	return s.ServeControlled(ctx, mode, vars, nil)
}

// ServeControlled is Serve with the core's Control (may be nil): while the
// handler runs, ctl.Cancel cancels the request's context.
func (s *Server) ServeControlled(ctx *fasthttp.RequestCtx, mode Mode, vars VarsSource, ctl *Control) (res Result) {
	ex := exchangePool.Get().(*exchange)
	ex.srv, ex.fctx, ex.mode, ex.vars, ex.ctl = s, ctx, mode, vars, ctl
	ex.conn, _ = ctx.Conn().(*Conn)
	var watch func()
	if ex.conn != nil {
		watch = ex.startWatch
	}
	ex.rctx.reset(ex, watch)
	ex.w.reset()
	defer ex.release()

	if err := ex.buildRequest(ctx); err != nil {
		ctx.Error("Bad Request", fasthttp.StatusBadRequest)
		ctx.SetConnectionClose()
		return Result{Status: fasthttp.StatusBadRequest}
	}
	if hs, ok := vars.(httpsReporter); ok && hs.IsHTTPS() {
		ex.req.TLS = &tlsUnknown
	}
	if ctl != nil {
		ctl.set(&ex.rctx)
		defer ctl.set(nil)
	}
	defer func() {
		if p := recover(); p != nil {
			res = ex.recovered(p)
		}
	}()
	s.Handler.ServeHTTP(&ex.w, ex.req)
	return ex.finish()
}

// startWatch watches the connection for a client that goes away, once the
// request body can no longer be in the way of the read.
func (ex *exchange) startWatch() {
	if !ex.body.drained() {
		return
	}
	ctx := &ex.rctx
	ex.conn.watch(func() { ctx.cancel(errClientGone) })
}

var errClientGone = errors.New("bridge: client disconnected")

func (ex *exchange) release() {
	if ex.conn != nil {
		ex.conn.stopWatch()
	}
	ex.rctx.cancel(errRequestDone)
	ex.body.reset(nil, 0)
	ex.srv, ex.fctx, ex.vars, ex.conn, ex.ctl = nil, nil, nil, nil, nil
	*ex.req = http.Request{}
	exchangePool.Put(ex)
}

var errRequestDone = errors.New("bridge: request finished")

// finish completes the response after the handler returned.
func (ex *exchange) finish() Result {
	w := &ex.w
	if w.hijacked {
		ex.handOver(nil)
		return Result{Status: http.StatusSwitchingProtocols, Hijacked: true}
	}
	if !w.wroteHeader && ex.body.err != nil {
		// The body could not be read (a malformed chunk, a cut upload) and
		// the handler answered nothing: say so rather than an empty 200.
		return ex.badBody()
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.stream != nil {
		ok := w.stream.finish() && ex.body.drained()
		ex.handOver(&ok)
		return Result{Status: w.status, BodySize: w.written, Streamed: true}
	}
	return Result{Status: w.status, BodySize: w.written}
}

// handOver tells fasthttp the response was written by the bridge. When
// keepAlive is non-nil and true, the connection goes on serving requests.
func (ex *exchange) handOver(keepAlive *bool) {
	ctx := ex.fctx
	if ex.mode == ModeUwsgi {
		return // the uwsgi server owns the connection and checks Result
	}
	ctx.HijackSetNoResponse(true)
	srv := ex.srv.HTTP
	if keepAlive == nil || !*keepAlive || srv == nil {
		ctx.Hijack(func(c net.Conn) {
			if keepAlive != nil {
				_ = c.Close()
			}
		})
		return
	}
	ctx.Hijack(func(c net.Conn) {
		awaitRequest(c) // fasthttp cleared the deadlines for the hijack
		_ = srv.ServeConn(c)
	})
}

// recovered turns a handler panic into a 500 (when nothing was sent yet) and
// one log line with the stack.
func (ex *exchange) recovered(p any) Result {
	w := &ex.w
	if p == http.ErrAbortHandler {
		f := false
		ex.handOver(&f)
		return Result{Status: w.status, Aborted: true, Streamed: true}
	}
	if ex.srv.Logf != nil {
		buf := make([]byte, 16<<10)
		buf = buf[:runtime.Stack(buf, false)]
		ex.srv.Logf("panic serving %s %s: %v\n%s", ex.req.Method, ex.req.RequestURI, p, buf)
	}
	if w.stream != nil || w.hijacked {
		f := false
		ex.handOver(&f)
		return Result{Status: w.status, Panicked: true, Streamed: true}
	}
	ctx := ex.fctx
	ctx.Response.Reset()
	ctx.SetStatusCode(http.StatusInternalServerError)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(fmt.Sprintf("%d %s\n", http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)))
	return Result{Status: http.StatusInternalServerError, Panicked: true}
}

// badBody answers a request whose body could not be read: 408 when the
// client was too slow, else 400; the connection closes.
func (ex *exchange) badBody() Result {
	status := http.StatusBadRequest
	var ne interface{ Timeout() bool }
	if errors.As(ex.body.err, &ne) && ne.Timeout() {
		status = http.StatusRequestTimeout
	}
	ex.fctx.Error(http.StatusText(status), status)
	ex.fctx.SetConnectionClose()
	return Result{Status: status, IOError: true}
}
