package worker

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/valyala/fasthttp"
)

// tooBig answers a request whose Content-Length is over --limit-post: 413,
// one log line, the connection closes (lingering: the body may be on its
// way).
func (hs *httpServer) tooBig(ctx *fasthttp.RequestCtx, cl int) {
	ctx.Error(fasthttp.StatusMessage(fasthttp.StatusRequestEntityTooLarge), fasthttp.StatusRequestEntityTooLarge)
	ctx.SetConnectionClose()
	socket.LingerClose(ctx.Conn())
	hs.reported.add(ctx.RemoteAddr())
	hs.w.log.Printf("uwsgi: request body from %s too big: Content-Length %d over --limit-post %d: 413",
		ctx.RemoteAddr(), cl, hs.w.opts.LimitPost)
}

// readFailure says in our words why fasthttp could not read a request
// (its messages name its own settings, or carry the raw input).
func (hs *httpServer) readFailure(ctx *fasthttp.RequestCtx, status int, err error) string {
	inHeader := true
	if dc := socket.DrainConnOf(ctx.Conn()); dc != nil {
		inHeader = dc.Phase.Load() == socket.PhaseHeader
	}
	switch {
	case status == fasthttp.StatusRequestHeaderFieldsTooLarge:
		return "request line or headers over --buffer-size " + strconv.Itoa(hs.w.opts.BufferSize)
	case status == fasthttp.StatusRequestTimeout && inHeader:
		return "request headers not complete within --socket-timeout " + hs.w.opts.SocketTimeout.String()
	case status == fasthttp.StatusRequestTimeout:
		return "request body not received within --http-timeout " + hs.w.opts.HTTPTimeout.String()
	case errors.Is(err, io.ErrUnexpectedEOF) && !inHeader:
		return "request body cut short"
	}
	msg := firstLine(err)
	msg = strings.TrimPrefix(msg, "error when reading request headers: ")
	msg = strings.TrimPrefix(msg, "error when reading request body: ")
	switch {
	case strings.HasPrefix(msg, "unsupported http version"):
		return "malformed HTTP version"
	case strings.Contains(msg, "after host") || strings.Contains(msg, "in host name"):
		return "invalid Host header (" + msg + ")"
	}
	return msg
}

// reportedConns remembers the last few connections errorResponse logged,
// so that fasthttp's own line about the same error is dropped. It is a
// small ring: an entry fasthttp never logs about is overwritten, not kept.
type reportedConns struct {
	mu    sync.Mutex
	addrs [32]string
	next  int
}

func (r *reportedConns) add(a net.Addr) {
	r.mu.Lock()
	r.addrs[r.next] = a.String()
	r.next = (r.next + 1) % len(r.addrs)
	r.mu.Unlock()
}

// take reports whether addr was logged, and forgets it.
func (r *reportedConns) take(addr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, a := range r.addrs {
		if a == addr && a != "" {
			r.addrs[i] = ""
			return true
		}
	}
	return false
}

// httpLogger is an HTTP socket's fasthttp logger: fasthttpLogger, less
// fasthttp's "error when serving connection" line for a connection whose
// error errorResponse already logged (a bad Host header reached the log
// twice).
type httpLogger struct {
	fasthttpLogger
	reported *reportedConns
}

// Printf implements fasthttp.Logger.
func (l httpLogger) Printf(format string, args ...any) {
	if strings.HasPrefix(format, "error when serving connection") && len(args) >= 2 {
		if a, ok := args[1].(net.Addr); ok && l.reported.take(a.String()) {
			return
		}
	}
	l.fasthttpLogger.Printf(format, args...)
}
