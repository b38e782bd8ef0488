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
	// ReuseRequests reuses the *http.Request, its URL, Header, Body and
	// Context for the next request once the handler returned, which saves
	// their allocations. A handler must then not keep any of them (nor a
	// goroutine using them) past ServeHTTP. Off by default: each request's
	// objects are its own and stay valid after the handler, as in net/http.
	ReuseRequests bool
	// Std is what the request context gives for http.ServerContextKey;
	// nil gives an http.Server holding Handler.
	Std *http.Server

	stdOnce sync.Once
	stdSrv  *http.Server
}

// std returns the *http.Server handlers find under http.ServerContextKey.
func (s *Server) std() *http.Server {
	if s.Std != nil {
		return s.Std
	}
	s.stdOnce.Do(func() { s.stdSrv = &http.Server{Handler: s.Handler} })
	return s.stdSrv
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
	srv  *Server
	ctl  *Control
	fctx *fasthttp.RequestCtx
	mode Mode
	vars VarsSource
	conn watchConn
	bc   *Conn // conn, when it is the bridge's (HTTP sockets)
	req  *http.Request
	rs   *reqState // the request's own objects: fresh, or own when reusing
	// body is the request's body reader: its largeState's, else ownBody.
	body *bodyReader
	// ownBody is the body reader of a request with no body (the handler
	// gets http.NoBody) and of every request with ReuseRequests.
	ownBody bodyReader
	bodyOut bool // the request's Body is body (it must end with the request)
	// own, ownReq, tmpl and header are the objects Server.ReuseRequests reuses.
	own    reqState
	ownReq *http.Request
	tmpl   *http.Request
	header http.Header
	pairs  []headerPair
	values []string
	blob   []byte
	// vals and inline are the fresh reqState's room for header values and
	// strings (not with ReuseRequests).
	vals   []string
	inline []byte
	w      responseWriter
	st     streamer
	// continued is the body of a request whose 100 Continue the bridge
	// sends (see DeferContinue), nil otherwise.
	continued *continueBody
	// declaredLength is the Content-Length the handler set, or -1.
	declaredLength int64
	scratch        []byte
}

// reqState holds what a handler may keep after ServeHTTP returned (with
// the *http.Request and its Header). By default each request has one of
// its own, inside a smallState or a largeState (see newState), which also
// hold its strings and header values when they fit.
type reqState struct {
	req  http.Request
	rctx reqContext
	url  url.URL
}

// smallState is the reqState of a request with no body, no header but
// Host and few bytes of strings (wrk's); largeState that of the others,
// with the body reader (a request with no body gets http.NoBody).
type smallState struct {
	reqState
	inline [smallInline]byte
}

type largeState struct {
	reqState
	body   bodyReader
	vals   [8]string // header values of a request with few headers
	inline [largeInline]byte
}

// Each request has a state of its own, one allocation that fills its size
// class (640 and 896 bytes with the 8-byte malloc header of an object with
// pointers over 512 bytes; state_test.go checks them): the inline bytes
// take the room the state leaves. A handler that keeps its request keeps
// that one object alive, as net/http's own request objects, and no other
// request's memory.
const (
	smallInline = 104
	largeInline = 176
)

var exchangePool = sync.Pool{New: func() any {
	ex := &exchange{}
	ex.w.ex = ex
	ex.w.header = make(http.Header, 8)
	return ex
}}

// newState gives the exchange the objects of one request: fresh ones, or
// with Server.ReuseRequests its own, reset. nvals and nbytes are how many
// header values and bytes of strings the request has; the fresh objects
// hold them when they fit (ex.vals, ex.inline). bodied says the request
// may have a body.
func (ex *exchange) newState(nvals, nbytes int, bodied bool) {
	ex.body = &ex.ownBody
	if !ex.srv.ReuseRequests {
		if nvals == 0 && nbytes <= smallInline && !bodied {
			st := new(smallState)
			ex.rs, ex.vals, ex.inline = &st.reqState, nil, st.inline[:]
		} else {
			st := new(largeState)
			ex.rs, ex.vals, ex.inline = &st.reqState, st.vals[:0], st.inline[:]
			ex.body = &st.body
		}
		ex.rs.rctx.bind(ex)
		return
	}
	if ex.ownReq == nil {
		ex.header = make(http.Header, 16)
		ex.tmpl = (&http.Request{}).WithContext(&ex.own.rctx)
		ex.ownReq = new(http.Request)
	}
	ex.rs = &ex.own
	ex.rs.url = url.URL{}
	ex.rs.rctx.reset(ex)
}

type varsKey struct{}

// httpsReporter is a VarsSource that knows the client used TLS in front of
// the proxy (HTTPS=on, UWSGI_SCHEME=https).
type httpsReporter interface {
	IsHTTPS() bool
}

// reportsHTTPS reports whether vars knows the client used TLS in front of
// the proxy.
func reportsHTTPS(vars VarsSource) bool {
	hs, ok := vars.(httpsReporter)
	return ok && hs.IsHTTPS()
}

// tlsUnknown marks a request whose TLS ended at the proxy, as net/http/cgi
// does: non-nil, with no details.
var tlsUnknown tls.ConnectionState

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
	var tc *TLSConn
	if ex.bc, tc = bridgeConn(ctx.Conn()); ex.bc != nil {
		ex.conn = ex.bc
	} else {
		ex.conn, _ = ctx.Conn().(watchConn)
	}
	ex.w.reset()
	ctx.Response.Header.SetNoDefaultContentType(true) // as net/http: no Content-Type unless set or sniffed
	defer ex.release()

	d, deferred := takeDeferred(&ctx.Request.Header)
	if err := ex.buildRequest(ctx, deferred); err != nil {
		ctx.Error("Bad Request", fasthttp.StatusBadRequest)
		ctx.SetConnectionClose()
		return Result{Status: fasthttp.StatusBadRequest}
	}
	if deferred {
		ex.setDeferredBody(d)
	}
	if tc != nil {
		ex.req.TLS = tc.connState()
	} else if _, plain := vars.(*HTTPVars); !plain && reportsHTTPS(vars) {
		ex.req.TLS = &tlsUnknown
	}
	if ctl != nil {
		ctl.set(&ex.rs.rctx) // until release
	}
	defer func() {
		if p := recover(); p != nil {
			res = ex.recovered(p)
		}
	}()
	s.Handler.ServeHTTP(&ex.w, ex.req)
	return ex.finish()
}

// watchConn is a connection that can tell, while a handler runs, that the
// client went away: the HTTP socket's Conn, the uwsgi socket's connection.
type watchConn interface {
	net.Conn
	// WatchClose starts a background read; onGone runs if the peer
	// closed or reset the connection before StopWatch.
	WatchClose(onGone func())
	// StopWatch aborts the background read and waits for it to end.
	StopWatch()
}

// startWatch watches the connection for a client that goes away, once the
// request body can no longer be in the way of the read. It is called with
// rc.mu held, while the handler runs.
func (ex *exchange) startWatch(rc *reqContext) {
	if ex.conn == nil || !ex.body.drained() {
		return
	}
	ex.conn.WatchClose(func() { rc.cancel(errClientGone) })
}

var errClientGone = errors.New("bridge: client disconnected")

func (ex *exchange) release() {
	ctl := ex.ctl
	if ctl != nil {
		ctl.set(nil)
	}
	rs := ex.rs
	// The context first: a goroutine of the handler's that asks for Done
	// from now on can no longer start a watcher on the connection.
	rs.rctx.end()
	if ex.bodyOut {
		ex.body.end()
	}
	switch {
	case ex.bc != nil:
		ex.bc.endRequest(!ex.w.hijacked)
	case ex.conn != nil:
		ex.conn.StopWatch()
	}
	if ex.srv.ReuseRequests {
		// ownReq, not ex.req: a request whose URI net/url rejects ends
		// before ex.req is set.
		*ex.ownReq = http.Request{}
	}
	ex.srv, ex.fctx, ex.vars, ex.conn, ex.bc, ex.ctl, ex.req, ex.rs, ex.body, ex.continued = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	ex.bodyOut = false
	ex.vals, ex.inline = nil, nil
	// Pooled, not kept per core: the pool lets go of the exchanges a
	// burst of connections needed, which a core's would keep alive for the
	// garbage collector to mark in every cycle.
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
	if ex.body.err != nil && (!w.wroteHeader || w.stream == nil && refusedBody(ex.body.err)) {
		// The body could not be read (a malformed chunk, a cut upload) and
		// the handler answered nothing: say so rather than an empty 200.
		// A body refused by a limit (413) is answered so whatever the
		// handler said, as long as nothing of that was sent.
		return ex.badBody()
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	isHead := ex.req.Method == http.MethodHead
	short := !isHead && ex.declaredLength >= 0 && bodyAllowed(w.status) &&
		(w.written < ex.declaredLength || w.overDeclared)
	switch {
	case isHead:
		ex.headLength()
	case w.stream == nil && (w.hasTrailers || short):
		// Trailers need a chunked body; a body shorter than its declared
		// length goes out with that length on a connection that then
		// closes, so the client sees the truncation, as with net/http.
		_ = w.startStream()
	}
	keepAlive := !short && ex.body.drained()
	if c := ex.continued; c != nil && !c.keepAlive(ex.body.drained()) {
		// As net/http: a body the client may still be sending (or a
		// chunked one read ahead) is not followed by another request.
		ex.fctx.SetConnectionClose()
		keepAlive = false
	}
	if w.stream != nil {
		ok := w.stream.finish() && keepAlive
		ex.handOver(&ok)
		return Result{Status: w.status, BodySize: w.written, Streamed: true}
	}
	return Result{Status: w.status, BodySize: w.written}
}

// headLength gives a buffered answer to HEAD the Content-Length net/http
// sends: the handler's, else the length of what it wrote, else none.
func (ex *exchange) headLength() {
	w := &ex.w
	if w.stream != nil || !bodyAllowed(w.status) {
		return
	}
	resp := &ex.fctx.Response
	resp.ResetBody()
	resp.SkipBody = true
	switch {
	case ex.declaredLength >= 0:
		resp.Header.SetContentLength(int(ex.declaredLength))
	case w.written > 0:
		resp.Header.SetContentLength(int(w.written))
	}
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

// statusCoder is an error that names the HTTP status it calls for (the
// engine's body limits).
type statusCoder interface{ StatusCode() int }

// refusedBody reports whether err is a body refused by a limit.
func refusedBody(err error) bool {
	var sc statusCoder
	return errors.As(err, &sc)
}

// badBody answers a request whose body could not be read: the status the
// error names (413 over a limit), 408 when the client was too slow, else
// 400; the connection closes.
func (ex *exchange) badBody() Result {
	status := http.StatusBadRequest
	var ne interface{ Timeout() bool }
	var sc statusCoder
	switch {
	case errors.As(ex.body.err, &sc):
		status = sc.StatusCode()
	case errors.As(ex.body.err, &ne) && ne.Timeout():
		status = http.StatusRequestTimeout
	}
	ex.fctx.Error(http.StatusText(status), status)
	ex.fctx.SetConnectionClose()
	return Result{Status: status, IOError: true}
}
