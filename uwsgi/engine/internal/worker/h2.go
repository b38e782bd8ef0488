package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
	"github.com/uwsgo/uwsgo/uwsgi/reqlog"
)

// h2Server serves the HTTP/2 connections of one HTTPS socket, for a
// net/http app, with net/http's own HTTP/2 server. fasthttp hands it a
// connection whose ALPN chose "h2" (Server.NextProto), in the connection's
// goroutine; each stream then runs in net/http's goroutine through
// serveStream, which takes a core, arms harakiri, applies the limits and
// writes the request log line as the HTTP/1.1 path does.
type h2Server struct {
	hs    *httpServer
	srv   *http.Server
	serve func(*http.Server, *tls.Conn, http.Handler)
}

// newH2Server prepares net/http's HTTP/2 server: http.Server installs it
// in TLSNextProto on its first Serve, which returns at once here.
func newH2Server(hs *httpServer) *h2Server {
	o := &hs.w.opts
	h := &h2Server{hs: hs}
	h.srv = &http.Server{
		Handler:        http.HandlerFunc(h.serveStream),
		MaxHeaderBytes: o.BufferSize,
		IdleTimeout:    o.HTTPTimeout,
		ErrorLog:       log.New(h2Logger{hs.w.log}, "", 0),
	}
	_ = h.srv.Serve(noListener{})
	h.serve = h.srv.TLSNextProto["h2"]
	if h.serve == nil {
		return nil
	}
	return h
}

// serveConn serves one HTTP/2 connection until it ends (fasthttp then
// closes it). The connection's own read deadlines are off: the HTTP/2
// server keeps its idle timeout (--http-timeout) itself.
func (h *h2Server) serveConn(c net.Conn) error {
	var tc *tlsConn
	for x := c; x != nil && tc == nil; x = socket.Wrapped(x) {
		tc, _ = x.(*tlsConn)
	}
	if tc == nil {
		return errors.New("uwsgi: HTTP/2 on a connection without TLS")
	}
	if tc.dc != nil {
		_ = tc.dc.SetReadDeadline(time.Time{})
	}
	h.serve(h.srv, tc.Conn, h.srv.Handler)
	return nil
}

// shutdown sends GOAWAY on every HTTP/2 connection: their streams finish,
// then they close, and fasthttp's shutdown waits for them (net/http tracks
// none of them, so Shutdown only starts the GOAWAYs and returns).
func (h *h2Server) shutdown() { _ = h.srv.Shutdown(context.Background()) }

// serveStream runs one HTTP/2 request on a core: the loop engine's
// accounting, harakiri and limits, then the app, then the log line.
func (h *h2Server) serveStream(rw http.ResponseWriter, r *http.Request) {
	w := h.hs.w
	start := time.Now()
	sw := &h2Writer{ResponseWriter: rw}
	res := bridge.Result{}
	if status, why := w.rejectH2(r); status != 0 {
		http.Error(sw, http.StatusText(status), status)
		w.log.Printf("uwsgi: %s from %s: %d", why, r.RemoteAddr, status)
		res.Status = status
		w.finishH2(r, sw, -1, start, &res)
		return
	}
	core, ok := w.acquireCore(start)
	if !ok {
		sw.Header().Set("Retry-After", "1")
		http.Error(sw, "Service Unavailable: every core is busy", http.StatusServiceUnavailable)
		res.Status = http.StatusServiceUnavailable
		w.finishH2(r, sw, -1, start, &res)
		return
	}
	w.Cores.SetRequest(core, []byte(r.Method), []byte(r.RequestURI))
	w.armHarakiri(core, start)
	for _, kv := range w.opts.AddHeaders {
		sw.Header().Add(kv[0], kv[1])
	}
	if lim := w.opts.LimitPost; lim > 0 {
		r.Body = http.MaxBytesReader(sw, r.Body, lim)
	}
	ctx, detach := w.controls[core].Attach(r.Context())
	ctx = bridge.WithVars(ctx, func(m map[string]string) { h.vars(r, m) })
	res.Panicked = h.runApp(sw, r.WithContext(ctx))
	detach()
	w.Cores.Release(core)
	res.Status, res.BodySize = sw.status, sw.size
	w.finishH2(r, sw, core, start, &res)
}

// runApp calls the app and reports whether it panicked (logged, answered
// 500 when nothing was sent yet), as the bridge does for HTTP/1.1.
func (h *h2Server) runApp(sw *h2Writer, r *http.Request) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p) // net/http resets the stream
			}
			buf := make([]byte, 16<<10)
			buf = buf[:runtime.Stack(buf, false)]
			h.hs.w.log.Printf("panic serving %s %s: %v\n%s", r.Method, r.RequestURI, p, buf)
			if sw.status == 0 {
				http.Error(sw, "500 Internal Server Error", http.StatusInternalServerError)
			}
			panicked = true
		}
	}()
	h.hs.w.app.HTTP.ServeHTTP(sw, r)
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	return false
}

// rejectH2 applies --max-vars and --limit-post to an HTTP/2 request (the
// HTTP/2 framing itself is checked by net/http).
func (w *Worker) rejectH2(r *http.Request) (int, string) {
	n := 0
	for _, v := range r.Header {
		n += len(v)
	}
	if n > proto.MaxPairs(w.opts.MaxVars)-httpFixedVars {
		return http.StatusRequestHeaderFieldsTooLarge, "too many headers"
	}
	if lim := w.opts.LimitPost; lim > 0 && r.ContentLength > lim {
		return http.StatusRequestEntityTooLarge, "Invalid (too big) CONTENT_LENGTH. skip"
	}
	return 0, ""
}

// finishH2 accounts the request and writes its log line.
func (w *Worker) finishH2(r *http.Request, sw *h2Writer, core int, start time.Time, res *bridge.Result) {
	hcount, hbytes := 0, len("HTTP/2.0 200 OK\r\n\r\n")
	for k, vs := range sw.Header() {
		for _, v := range vs {
			hcount++
			hbytes += len(k) + len(v) + 4
		}
	}
	elapsed, n := w.account(start, res, hbytes)
	if w.opts.DisableLogging && !w.opts.ForceLog.Match(res, elapsed) {
		return
	}
	total := w.board.TotalRequests()
	var host []byte
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		host = ap.Addr().Unmap().AppendTo(nil)
	}
	rec := reqlog.Record{
		PID: w.PID, WorkerID: w.ID, AppRequests: n, TotalRequests: total, Start: start, Duration: elapsed,
		RemoteAddr: host, Method: []byte(r.Method), URI: []byte(r.RequestURI), Proto: []byte(r.Proto),
		Host: []byte(r.Host), UserAgent: []byte(r.UserAgent()), Referer: []byte(r.Referer()),
		Status: res.Status, BodySize: res.BodySize, HeaderCount: hcount, HeaderBytes: hbytes,
		Switches: 1, Core: max(core, 0), RequestContentLength: max(r.ContentLength, 0),
		Modifier1: uint8(w.opts.HTTPModifier1), Vars: 2 * (len(r.Header) + httpFixedVars),
	}
	if w.opts.LogXForwardedFor {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			rec.RemoteAddr = []byte(xff)
		}
	}
	w.log.Request(w.format, &rec)
}

// vars are the request variables of an HTTP/2 request, as HTTPVars makes
// them for HTTP/1.1.
func (h *h2Server) vars(r *http.Request, m map[string]string) {
	hv := &h.hs.vars
	path, query, _ := strings.Cut(r.RequestURI, "?")
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	m["REQUEST_METHOD"], m["REQUEST_URI"], m["PATH_INFO"], m["QUERY_STRING"] = r.Method, r.RequestURI, path, query
	m["SERVER_PROTOCOL"], m["SCRIPT_NAME"], m["SERVER_NAME"], m["SERVER_PORT"] = r.Proto, "", hv.ServerName, hv.ServerPort
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		m["REMOTE_ADDR"], m["REMOTE_PORT"] = ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port()))
	}
	m["HTTPS"], m["UWSGI_SCHEME"] = "on", "https"
	bridge.ClientCertVars(m, r.TLS, hv.ExportCert)
	if r.ContentLength >= 0 {
		m["CONTENT_LENGTH"] = strconv.FormatInt(r.ContentLength, 10)
	}
	m["HTTP_HOST"] = r.Host
	for k, vs := range r.Header {
		name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		switch name {
		case "HTTP_CONTENT_LENGTH":
			continue
		case "HTTP_CONTENT_TYPE":
			name = "CONTENT_TYPE"
		}
		m[name] = strings.Join(vs, ", ")
	}
}

// h2Writer records the status and body size of an HTTP/2 response.
type h2Writer struct {
	http.ResponseWriter
	status int
	size   int64
}

func (w *h2Writer) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *h2Writer) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.size += int64(n)
	return n, err
}

// Flush implements http.Flusher.
func (w *h2Writer) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach net/http's writer.
func (w *h2Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// noListener ends http.Server.Serve at once.
type noListener struct{}

func (noListener) Accept() (net.Conn, error) { return nil, errors.New("no listener") }
func (noListener) Close() error              { return nil }
func (noListener) Addr() net.Addr            { return &net.TCPAddr{} }

// h2Logger sends net/http's messages to the server log.
type h2Logger struct{ l *logger.Logger }

func (g h2Logger) Write(p []byte) (int, error) {
	g.l.Printf("%s", strings.TrimSuffix(fmt.Sprintf("%s", p), "\n"))
	return len(p), nil
}
