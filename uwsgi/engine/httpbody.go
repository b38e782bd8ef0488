package engine

import (
	"errors"
	"io"
	"net"
	"strconv"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/valyala/fasthttp"
)

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
