package bridge

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http/httputil"

	"sync"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// Expect: 100-continue, as net/http does it: the interim response goes out
// only when the handler first reads the body, so a handler that refuses
// (401, 413) never makes the client send it.
//
// fasthttp answers 100 Continue itself before the handler runs. DeferContinue,
// called by the HTTP server's HeaderReceived hook, hides the expectation and
// the body from fasthttp (no Expect header, Content-Length 0) and notes the
// real framing; the bridge then gives the handler a body that sends the
// 100 on its first Read and reads the connection under fasthttp, where the
// body still is (see Conn: nothing past a header reaches fasthttp's buffer).

// deferredBody is the real body framing of a request DeferContinue took over.
type deferredBody struct {
	length  int64 // -1: chunked
	rawCL   string
	chunked bool
}

var (
	deferred      sync.Map // *fasthttp.RequestHeader → deferredBody
	deferredCount atomic.Int64
)

// DeferContinue takes over the Expect: 100-continue of an HTTP/1.1 request
// with a body, and reports whether it did. Call it from
// fasthttp.Server.HeaderReceived, only on connections the bridge serves
// (accepted through Listener).
func DeferContinue(h *fasthttp.RequestHeader) bool {
	// A note left by an earlier request on this header (one answered
	// without the bridge) must not apply to this one.
	takeDeferred(h)
	// The framing first: most requests have no body, and that costs no
	// header lookup.
	cl := h.ContentLength()
	if cl == 0 || cl == -2 || !h.IsHTTP11() || !bytes.EqualFold(h.Peek("Expect"), []byte("100-continue")) {
		return false
	}
	d := deferredBody{length: int64(cl), rawCL: string(h.Peek("Content-Length")), chunked: cl == -1}
	h.Del("Expect")
	h.Del("Transfer-Encoding")
	h.SetContentLength(0)
	deferred.Store(h, d)
	deferredCount.Add(1)
	return true
}

// takeDeferred returns the framing DeferContinue noted for h.
func takeDeferred(h *fasthttp.RequestHeader) (deferredBody, bool) {
	if deferredCount.Load() == 0 {
		return deferredBody{}, false
	}
	v, ok := deferred.LoadAndDelete(h)
	if !ok {
		return deferredBody{}, false
	}
	deferredCount.Add(-1)
	return v.(deferredBody), true
}

// setDeferredBody gives the request its real framing back and a body that
// sends 100 Continue when first read.
func (ex *exchange) setDeferredBody(d deferredBody) {
	r := ex.req
	r.Header["Expect"] = []string{"100-continue"}
	if d.chunked {
		r.ContentLength = -1
		r.TransferEncoding = chunkedTE
		delete(r.Header, "Content-Length")
	} else {
		r.ContentLength = d.length
		r.Header["Content-Length"] = []string{d.rawCL}
	}
	cb := &continueBody{conn: ex.fctx.Conn(), length: d.length}
	ex.body.reset(cb, r.ContentLength)
	ex.continued = cb
	r.Body, ex.bodyOut = ex.body, true
}

// continueBody reads a deferred body from the connection, after sending
// the 100 Continue the client waits for.
type continueBody struct {
	conn   net.Conn
	length int64 // -1: chunked
	r      io.Reader
	sent   bool
	// answered: the handler sent its own 100 Continue (WriteHeader(100)).
	answered bool
}

var continueLine = []byte("HTTP/1.1 100 Continue\r\n\r\n")

func (b *continueBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		if !b.answered {
			if _, err := b.conn.Write(continueLine); err != nil {
				return 0, err
			}
		}
		if b.length < 0 {
			b.r = httputil.NewChunkedReader(bufio.NewReader(b.conn))
		} else {
			b.r = io.LimitReader(b.conn, b.length)
		}
	}
	return b.r.Read(p)
}

// keepAlive reports whether the connection can serve another request after
// a deferred body: only when it was read whole, and framed by its length (a
// chunked body's reader may have read ahead).
func (b *continueBody) keepAlive(drained bool) bool {
	return b.sent && drained && b.length >= 0
}
