package engine

import (
	"errors"
	"io"
	"net"
	"strconv"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/valyala/fasthttp"
)

// bodyGuard is the request body an HTTP socket's handler reads: fasthttp's
// body stream with the checks fasthttp leaves out.
//
//   - A body shorter than its Content-Length fails with
//     io.ErrUnexpectedEOF (fasthttp's request stream reports a plain
//     io.EOF once it has pre-read its first 8 KiB).
//   - A chunked body fails past --limit-post (decoded bytes), with a
//     bodyError asking for 413; it never hands out more than the limit.
//   - Chunk framing (chunk-size lines and their extensions, trailers) may
//     not outgrow the data it carries, by net/http's rule (CVE-2023-39326):
//     16 KiB, plus 16 bytes a chunk and twice the data. The guard meters the
//     connection's raw bytes while it reads (drainConn.Read calls clip and
//     count), since fasthttp's chunk parser reads size lines unbounded.
//
// One lives in each drainConn and serves the connection's requests in turn.
type bodyGuard struct {
	r     io.Reader
	cl    int64 // Content-Length, or -1 for a chunked body
	limit int64 // --limit-post for a chunked body; 0: none
	n     int64 // body bytes handed out
	err   error // the first read error other than io.EOF
	eof   bool
	// The raw-byte meter, for chunked bodies: raw counts the bytes the
	// connection read during the guard's reads; while rawCap > 0 a read of
	// the connection stops there, and overrun records that it did.
	raw, rawCap int64
	reads       int64
	slack       int64 // the read buffer: bytes read ahead of the parser
	overrun     bool
}

// bodyError is a request body refused by a limit: its StatusCode is the
// answer when nothing was sent yet (the bridge looks for that method).
type bodyError struct {
	status int
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// StatusCode is the HTTP status the error calls for.
func (e *bodyError) StatusCode() int { return e.status }

var (
	errBodyTooLarge  = &bodyError{fasthttp.StatusRequestEntityTooLarge, "request body over --limit-post"}
	errChunkOverhead = &bodyError{fasthttp.StatusBadRequest, "chunked body with too much framing for its data (chunk extensions)"}
)

// chunkOverheadBase is how many bytes of framing a chunked body may carry
// beyond 16 a chunk and twice its data, as net/http allows.
const chunkOverheadBase = 16 << 10

func (g *bodyGuard) reset(r io.Reader, cl, limit, slack int64) {
	*g = bodyGuard{r: r, cl: cl, slack: slack}
	if cl < 0 {
		g.limit = limit
	}
}

// Read implements io.Reader.
func (g *bodyGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.eof {
		return 0, io.EOF
	}
	if g.cl >= 0 {
		n, err := g.r.Read(p)
		g.n += int64(n)
		if err == io.EOF && g.n < g.cl {
			err = io.ErrUnexpectedEOF
		}
		return n, g.note(err)
	}
	if g.limit > 0 && int64(len(p)) > g.limit-g.n+1 {
		p = p[:g.limit-g.n+1] // one byte past the limit tells it is over
	}
	g.reads++
	// What the connection may have read by the end of this call: the data
	// so far and this call's, the framing allowed so far, and the buffer's
	// read-ahead.
	g.rawCap = g.n + int64(len(p)) + chunkOverheadBase + 16*g.reads + 2*g.n + g.slack
	n, err := g.r.Read(p)
	g.rawCap = 0
	g.n += int64(n)
	switch {
	case g.overrun:
		err = errChunkOverhead
	case g.limit > 0 && g.n > g.limit:
		n -= int(g.n - g.limit)
		g.n = g.limit
		err = errBodyTooLarge
	}
	return n, g.note(err)
}

// note records the first error and the end of the body.
func (g *bodyGuard) note(err error) error {
	switch {
	case err == io.EOF:
		g.eof = true
	case err != nil:
		g.err = err
	}
	return err
}

// clip shortens a raw read of the connection to the meter's cap; an empty
// result means the framing overran it.
func (g *bodyGuard) clip(p []byte) []byte {
	left := g.rawCap - g.raw
	if left <= 0 {
		g.overrun = true
		return p[:0]
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	return p
}

// guardBody puts the guard between the handler and fasthttp's body stream.
// It returns nil for a request without a body.
func (hs *httpServer) guardBody(ctx *fasthttp.RequestCtx) *bodyGuard {
	stream := ctx.RequestBodyStream()
	cl := ctx.Request.Header.ContentLength()
	if stream == nil || cl == 0 || cl < -1 {
		return nil
	}
	var g *bodyGuard
	if dc := drainConnOf(ctx.Conn()); dc != nil {
		g = &dc.body
	} else {
		g = new(bodyGuard)
	}
	g.reset(stream, int64(cl), hs.w.opts.LimitPost, int64(hs.w.opts.BufferSize))
	ctx.Request.SetBodyStream(g, cl)
	return g
}

// bodyDone logs a body that failed the guard, once, and makes the answer
// fit: a body over --limit-post gets 413 when nothing was sent yet, and the
// connection closes after any failed body.
func (hs *httpServer) bodyDone(ctx *fasthttp.RequestCtx, g *bodyGuard, res *bridge.Result) {
	if g == nil || g.err == nil {
		return
	}
	res.IOError = true
	ctx.SetConnectionClose()
	lingerClose(ctx.Conn())
	var be *bodyError
	if errors.As(g.err, &be) && !res.Streamed && !res.Hijacked && !ctx.Hijacked() && hs.w.app.Fast != nil {
		// The bridge answers for net/http handlers; a fasthttp handler's
		// response is still in ctx.
		ctx.Error(fasthttp.StatusMessage(be.status), be.status)
		ctx.SetConnectionClose()
		res.Status, res.BodySize = be.status, int64(len(ctx.Response.Body()))
	}
	hs.w.log.Printf("%s", bodyFailure(ctx.RemoteAddr(), g))
}

// bodyFailure says, in one line, why a request body failed.
func bodyFailure(addr net.Addr, g *bodyGuard) string {
	var ne net.Error
	switch {
	case g.err == errBodyTooLarge:
		return "uwsgi: request body from " + addr.String() + " over --limit-post " + fmtInt(g.limit) + " (chunked): 413"
	case g.err == errChunkOverhead:
		return "uwsgi: request body from " + addr.String() + ": chunk extensions too long for the data they carry: 400"
	case errors.As(g.err, &ne) && ne.Timeout():
		return "uwsgi: request body from " + addr.String() + " not finished within --http-timeout: " + fmtInt(g.n) + " bytes read"
	case g.cl >= 0:
		return "uwsgi: request body from " + addr.String() + " cut short: " + fmtInt(g.cl-g.n) + " of " + fmtInt(g.cl) + " bytes missing (" + g.err.Error() + ")"
	case errors.Is(g.err, io.ErrUnexpectedEOF):
		return "uwsgi: request body from " + addr.String() + " cut short: the chunked body ended after " + fmtInt(g.n) + " bytes (" + g.err.Error() + ")"
	}
	return "uwsgi: malformed chunked request body from " + addr.String() + " after " + fmtInt(g.n) + " bytes: " + firstLine(g.err)
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
