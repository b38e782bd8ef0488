package worker

import (
	"errors"
	"io"
	"net"
	"strconv"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/valyala/fasthttp"
)

// guardBody puts the guard between the handler and fasthttp's body stream.
// It returns nil for a request without a body.
func (hs *httpServer) guardBody(ctx *fasthttp.RequestCtx) *socket.BodyGuard {
	stream := ctx.RequestBodyStream()
	cl := ctx.Request.Header.ContentLength()
	if stream == nil || cl == 0 || cl < -1 {
		return nil
	}
	var g *socket.BodyGuard
	if dc := socket.DrainConnOf(ctx.Conn()); dc != nil {
		g = &dc.Body
	} else {
		g = new(socket.BodyGuard)
	}
	g.Reset(stream, int64(cl), hs.w.opts.LimitPost, int64(hs.w.opts.BufferSize))
	ctx.Request.SetBodyStream(g, cl)
	return g
}

// bodyDone logs a body that failed the guard, once, and makes the answer
// fit: a body over --limit-post gets 413 when nothing was sent yet, and the
// connection closes after any failed body.
func (hs *httpServer) bodyDone(ctx *fasthttp.RequestCtx, g *socket.BodyGuard, res *bridge.Result) {
	if g == nil || g.Err == nil {
		return
	}
	res.IOError = true
	ctx.SetConnectionClose()
	socket.LingerClose(ctx.Conn())
	var be *socket.BodyError
	if errors.As(g.Err, &be) && !res.Streamed && !res.Hijacked && !ctx.Hijacked() && hs.w.app.Fast != nil {
		// The bridge answers for net/http handlers; a fasthttp handler's
		// response is still in ctx.
		ctx.Error(fasthttp.StatusMessage(be.Status), be.Status)
		ctx.SetConnectionClose()
		res.Status, res.BodySize = be.Status, int64(len(ctx.Response.Body()))
	}
	hs.w.log.Printf("%s", bodyFailure(ctx.RemoteAddr(), g))
}

// bodyFailure says, in one line, why a request body failed.
func bodyFailure(addr net.Addr, g *socket.BodyGuard) string {
	var ne net.Error
	switch {
	case g.Err == socket.ErrBodyTooLarge:
		return "uwsgi: request body from " + addr.String() + " over --limit-post " + fmtInt(g.Limit) + " (chunked): 413"
	case g.Err == socket.ErrChunkOverhead:
		return "uwsgi: request body from " + addr.String() + ": chunk extensions too long for the data they carry: 400"
	case errors.As(g.Err, &ne) && ne.Timeout():
		return "uwsgi: request body from " + addr.String() + " not finished within --http-timeout: " + fmtInt(g.N) + " bytes read"
	case g.Cl >= 0:
		return "uwsgi: request body from " + addr.String() + " cut short: " + fmtInt(g.Cl-g.N) + " of " + fmtInt(g.Cl) + " bytes missing (" + g.Err.Error() + ")"
	case errors.Is(g.Err, io.ErrUnexpectedEOF):
		return "uwsgi: request body from " + addr.String() + " cut short: the chunked body ended after " + fmtInt(g.N) + " bytes (" + g.Err.Error() + ")"
	}
	return "uwsgi: malformed chunked request body from " + addr.String() + " after " + fmtInt(g.N) + " bytes: " + firstLine(g.Err)
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }
