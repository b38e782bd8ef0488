package bridge

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// bodyReader is the http.Request.Body of a bridged request. Once the
// handler returned it reads no more (a goroutine that kept it must not
// reach the connection the next request uses).
type bodyReader struct {
	r      io.Reader
	remain int64 // bytes still expected; -1 when unknown (chunked)
	eof    bool
	closed bool
	err    error // a read error other than EOF: a malformed or cut body
	// done is set once nothing of the body is left on the connection; it
	// is read by the goroutine that arms the disconnect watcher.
	done  atomic.Bool
	ended atomic.Bool // the handler returned
}

func (b *bodyReader) reset(r io.Reader, n int64) {
	b.r, b.remain, b.eof, b.closed, b.err = r, n, r == nil, false, nil
	// Stored only when they change: the exchange's own reader of requests
	// with no body (never ended, see release) keeps its values.
	if d := r == nil || n == 0; b.done.Load() != d {
		b.done.Store(d)
	}
	if b.ended.Load() {
		b.ended.Store(false)
	}
}

// end detaches the body from the connection once the handler returned:
// a goroutine that kept it reads nothing of the next request.
func (b *bodyReader) end() { b.ended.Store(true) }

// drained reports whether nothing more of the body is left on the connection.
func (b *bodyReader) drained() bool { return b.done.Load() }

var errBodyClosed = errors.New("http: invalid Read on closed Body")

// Read implements io.Reader.
func (b *bodyReader) Read(p []byte) (int, error) {
	if b.closed || b.ended.Load() {
		return 0, errBodyClosed
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if b.remain > 0 {
		b.remain -= int64(n)
	}
	if err == io.EOF || (err == nil && b.remain == 0) {
		b.eof = true
		b.done.Store(true)
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// Close implements io.Closer.
func (b *bodyReader) Close() error {
	b.closed = true
	return nil
}

// hasBody reports whether the request whose header is h has a body, by
// its framing: a Content-Length over 0 or chunked. fasthttp gives a request
// with no Content-Length -2, which has none (setBody gives it http.NoBody).
func hasBody(h *fasthttp.RequestHeader) bool {
	cl := h.ContentLength()
	return cl > 0 || cl == -1
}

// setBody gives the request its body: http.NoBody when there is none
// (as hasBody says), else the request's reader over fasthttp's body stream.
func (ex *exchange) setBody(ctx *fasthttp.RequestCtx) {
	r := ex.req
	cl := ctx.Request.Header.ContentLength()
	switch {
	case cl > 0:
		r.ContentLength = int64(cl)
	case cl == -1: // chunked
		r.ContentLength = -1
		r.TransferEncoding = chunkedTE
	default: // 0, or -2: no Content-Length
		r.ContentLength = 0
		r.Body = http.NoBody
		ex.body.reset(nil, 0)
		return
	}
	stream := ctx.RequestBodyStream()
	if stream == nil {
		stream = readerOf(ctx.Request.Body())
	}
	ex.body.reset(stream, r.ContentLength)
	r.Body, ex.bodyOut = ex.body, true
}

var chunkedTE = []string{"chunked"}

// bytesReader is an io.Reader over a byte slice (no allocation via sync.Pool
// needed: it lives in the exchange when used).
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func readerOf(b []byte) io.Reader { return &bytesReader{b} }
