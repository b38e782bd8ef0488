package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/valyala/fasthttp"
)

// inMemoryBody is the largest request body read whole before the handler
// runs; larger bodies reach the handler as a stream.
const inMemoryBody = 1 << 20

// httpServer serves one HTTP socket with fasthttp.
type httpServer struct {
	w        *Worker
	sock     *socket.Socket
	ln       *socket.DrainListener
	srv      *fasthttp.Server
	bridge   bridge.Server
	vars     bridge.HTTPVars
	tls      *tls.Config // an HTTPS socket's; nil for HTTP
	h2       *h2Server   // HTTP/2 through ALPN (net/http apps on HTTPS)
	stopping atomic.Bool
	// overLimit marks the request headers whose body is over --limit-post
	// (with their Content-Length).
	overLimit sync.Map
	// reported: connections errorResponse logged, whose error fasthttp
	// then logs again (see httpLogger).
	reported reportedConns
}

func newHTTPServer(w *Worker, sock *socket.Socket) *httpServer {
	hs := &httpServer{w: w, sock: sock}
	host, _ := os.Hostname()
	hs.vars = bridge.HTTPVars{ServerName: host, ServerPort: sock.Port(), HTTPS: sock.TLS >= 0}
	if w.TLS != nil && sock.TLS >= 0 {
		hs.tls = w.TLS.Sockets[sock.TLS]
		hs.vars.ExportCert = w.TLS.Conf.ExportCert
	}
	o := &w.opts
	hs.srv = &fasthttp.Server{
		Handler:                       hs.serve,
		HeaderReceived:                hs.headerReceived,
		ErrorHandler:                  hs.errorResponse,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          w.app.Fast == nil,
		DisablePreParseMultipartForm:  true,
		StreamRequestBody:             true,
		MaxRequestBodySize:            inMemoryBody,
		ReadBufferSize:                o.BufferSize,
		KeepHijackedConns:             true,
		CloseOnShutdown:               true,
		DisableHeaderNamesNormalizing: false,
		Logger:                        httpLogger{fasthttpLogger{w.log}, &hs.reported},
	}
	w.setupBridge(&hs.bridge, hs.srv, sock)
	if sock.TLS < 0 && w.TLS != nil && w.TLS.ACME != nil {
		hs.srv.Handler = hs.acmeHTTP01(w.TLS.ACME, hs.srv.Handler)
	}
	if hs.tls != nil && slices.Contains(hs.tls.NextProtos, "h2") {
		if hs.h2 = newH2Server(hs); hs.h2 != nil {
			hs.srv.NextProto("h2", hs.h2.serveConn)
		}
	}
	return hs
}

// headerReceived lets a body take up to --http-timeout once the header
// arrived within --socket-timeout.
// A body over --limit-post is not waited for: fasthttp may pre-read
// only one byte of it, with no time to wait, and either the handler or
// errorResponse answers 413.
func (hs *httpServer) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if lim := hs.w.opts.LimitPost; lim > 0 && int64(h.ContentLength()) > lim {
		hs.overLimit.Store(h, h.ContentLength()) // fasthttp resets the header before errorResponse
		return fasthttp.RequestConfig{MaxRequestBodySize: 1, ReadTimeout: time.Millisecond}
	}
	if hs.w.app.Fast == nil && bridge.DeferContinue(h) {
		// Expect: 100-continue: the bridge sends the 100 when the handler
		// first reads the body, as net/http does.
		return fasthttp.RequestConfig{ReadTimeout: hs.w.opts.HTTPTimeout}
	}
	if cl := h.ContentLength(); cl == 0 || cl == -2 { // -2: no length, no chunks
		// No body to read: the header's deadline (--socket-timeout, from
		// the first byte) stays until fasthttp sets the idle one, and the
		// request saves a clock read and a deadline change.
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{ReadTimeout: hs.w.opts.HTTPTimeout}
}

// errorResponse answers a request fasthttp could not read: 413 for a body
// over --limit-post, 431 for a header over --buffer-size, 408 for a
// client too slow, 400 otherwise. The connection then closes.
func (hs *httpServer) errorResponse(ctx *fasthttp.RequestCtx, err error) {
	socket.DropReserved(ctx.Conn()) // the answer and the close that follows need no core
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	if dc := socket.DrainConnOf(ctx.Conn()); dc != nil && dc.Phase.Load() == socket.PhaseAwait && errors.As(err, &ne) && ne.Timeout() {
		// An idle keep-alive connection timed out before a byte of a next
		// request (fasthttp counts requests per serving loop, and the bridge
		// serves a connection again after a streamed response): close it,
		// as for any idle connection, without a 408 nobody asked for.
		_ = dc.Close()
		return
	}
	cl, over := hs.overLimit.LoadAndDelete(&ctx.Request.Header)
	if over {
		hs.tooBig(ctx, cl.(int))
		return
	}
	status := fasthttp.StatusBadRequest
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = fasthttp.StatusRequestEntityTooLarge
	case errors.As(err, &small):
		status = fasthttp.StatusRequestHeaderFieldsTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		status = fasthttp.StatusRequestTimeout
	}
	ctx.Error(fasthttp.StatusMessage(status), status)
	socket.LingerClose(ctx.Conn())
	hs.reported.add(ctx.RemoteAddr())
	hs.w.log.Printf("uwsgi: bad HTTP request from %s: %d (%s)", ctx.RemoteAddr(), status, hs.readFailure(ctx, status, err))
}

// firstLine keeps an error's first line (fasthttp appends the whole
// buffer it read, which may be kilobytes of hostile input).
func firstLine(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": buffer size="); i > 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func (hs *httpServer) run() error {
	hs.ln = socket.NewDrainListener(socket.SockListener{S: hs.sock}, hs.w.conns)
	hs.ln.Proxy = hs.w.opts.ProxyProtocol
	// The connections keep the header and idle deadlines themselves (see
	// requestPhase); fasthttp's ReadTimeout and IdleTimeout stay 0.
	hs.ln.HeaderTimeout, hs.ln.IdleTimeout = hs.w.opts.SocketTimeout, hs.w.opts.HTTPTimeout
	var ln net.Listener = hs.ln
	if hs.tls != nil {
		ln = tlsListener{Listener: ln, cfg: hs.tls, log: hs.w.log}
	}
	if hs.w.app.Fast == nil {
		// net/http handlers learn of a client that went away through the
		// bridge's connections; fasthttp handlers do not need them.
		ln = bridge.Listener{Listener: ln}
	}
	err := hs.srv.Serve(ln)
	if hs.stopping.Load() {
		return nil
	}
	return err
}

// shutdown stops accepting, waits for accepted connections to send their
// request, then lets fasthttp finish the requests in flight (with
// Connection: close) and close the idle keep-alive connections.
func (hs *httpServer) shutdown(ctx context.Context) {
	hs.stopping.Store(true)
	_ = hs.sock.Close()
	wait := hs.w.opts.SocketTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	hs.ln.WaitFresh(wait)
	if hs.h2 != nil {
		hs.h2.shutdown()
	}
	if err := hs.srv.ShutdownWithContext(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
		hs.w.log.Printf("graceful shutdown of %s: %v", hs.sock.Name, err)
	}
}

// serve is the fasthttp handler: limits, a core, the app, accounting.
func (hs *httpServer) serve(ctx *fasthttp.RequestCtx) {
	markRequest() // harakiri's stacks (health.go)
	defer unmarkRequest()
	w := hs.w
	if status, why := w.rejectHTTP(ctx); status != 0 {
		socket.DropReserved(ctx.Conn())
		ctx.Error(fasthttp.StatusMessage(status), status)
		ctx.SetConnectionClose()
		socket.LingerClose(ctx.Conn())
		w.log.Printf("uwsgi: %s from %s: %d", why, ctx.RemoteAddr(), status)
		return
	}
	if w.opts.LimitPost > 0 {
		hs.overLimit.Delete(&ctx.Request.Header)
	}
	if lim := w.opts.LimitPost; lim > 0 && int64(ctx.Request.Header.ContentLength()) > lim {
		socket.DropReserved(ctx.Conn())
		hs.tooBig(ctx, ctx.Request.Header.ContentLength())
		return
	}
	body := hs.guardBody(ctx)
	core, start, res := w.dispatch(ctx, &hs.bridge, bridge.ModeHTTP, &hs.vars)
	hs.bodyDone(ctx, body, &res)
	if !res.Hijacked && !res.Streamed && !ctx.Hijacked() {
		if ctx.Response.ConnectionClose() || ctx.Request.Header.ConnectionClose() {
			socket.CorkLast(ctx.Conn())
		} else {
			socket.AwaitRequest(ctx.Conn())
		}
	}
	w.finishRequest(ctx, core, start, &res, func() reqSize {
		return httpVarsSize(&ctx.Request.Header, uint8(w.opts.HTTPModifier1))
	})
}

// fasthttpLogger sends fasthttp's own messages to the server log.
type fasthttpLogger struct{ l *logger.Logger }

// Its "error when reading request" lines are dropped: errorResponse has
// logged those requests once, with their status.
func (f fasthttpLogger) Printf(format string, args ...any) {
	if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "error when reading request") {
		f.l.Printf("%s", msg)
	}
}

// dispatch runs the app for one request on a core: the loop engine's one
// path for both socket kinds (take a core, record the request for stats and
// harakiri, run the fasthttp or net/http handler, give the core back).
func (w *Worker) dispatch(ctx *fasthttp.RequestCtx, br *bridge.Server, mode bridge.Mode, vars bridge.VarsSource) (core int, start time.Time, res bridge.Result) {
	if w.opts.PostBuffering > 0 && !w.bufferBody(ctx) {
		socket.DropReserved(ctx.Conn())
		return -1, time.Now(), unreadResult(ctx)
	}
	// fasthttp read the clock when the request's header was complete.
	if start = ctx.Time(); start.IsZero() {
		start = time.Now()
	}
	// The first request of a connection runs on the core its accept
	// reserved (see admit.go), unless the body above made it wait.
	if core = socket.ReservedCore(ctx.Conn()); core >= 0 {
		w.Cores.Use(core, start)
	} else {
		var ok bool
		if core, ok = w.acquireCore(start); !ok {
			w.queueFull(ctx)
			return -1, start, bridge.Result{Status: fasthttp.StatusServiceUnavailable}
		}
	}
	w.Cores.SetRequest(core, ctx.Request.Header.Method(), ctx.Request.Header.RequestURI())
	w.armHarakiri(core, start)
	for _, h := range w.opts.AddHeaders {
		ctx.Response.Header.Add(h[0], h[1])
	}
	var rr *routeReq
	if w.chains.request != nil {
		var done bool
		if rr, done = w.runRoutes(ctx, vars); done {
			res.Status, res.BodySize = ctx.Response.StatusCode(), int64(len(ctx.Response.Body()))
			if ctx.Response.IsBodyStream() {
				res.BodySize = int64(ctx.Response.Header.ContentLength())
			}
			res.NoLog = rr.noLog
			rr.release()
			w.Cores.Release(core)
			return core, start, res
		}
		vars = rr.varsSource()
	}
	if w.static != nil {
		if r, ok := w.serveStatic(ctx, core); ok {
			w.Cores.Release(core)
			if rr != nil {
				r.NoLog = rr.noLog
				rr.release()
			}
			return core, start, r
		}
	}
	if w.app.Fast != nil {
		w.app.Fast(ctx)
		res.Status = ctx.Response.StatusCode()
		res.BodySize = int64(len(ctx.Response.Body()))
	} else {
		res = br.ServeControlled(ctx, mode, vars, &w.controls[core])
	}
	if rr != nil {
		rr.finish(&res)
		rr.release()
	}
	if w.chains.response != nil || w.chains.errors != nil || w.chains.final != nil {
		w.afterApp(ctx, vars, &res)
	}
	w.Cores.Release(core)
	return core, start, res
}
