package worker

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/valyala/fasthttp"
)

// bufferBody is --post-buffering N: a request body still streaming from
// the client is read whole before the handler runs (and before it takes a
// core), in memory up to N bytes, in an unlinked temporary file above; the
// handler then reads it at memory or disk speed. Chunked bodies of unknown
// length stream as before.
//
// It reports false when the body could not be read whole (cut short, too
// slow): the request is then answered here (400, or 408 for a client too
// slow) with the connection closing, and never reaches the handler.
func (w *Worker) bufferBody(ctx *fasthttp.RequestCtx) bool {
	limit := w.opts.PostBuffering
	stream := ctx.RequestBodyStream()
	cl := ctx.Request.Header.ContentLength()
	if limit <= 0 || stream == nil || cl <= 0 {
		return true
	}
	if int64(cl) <= limit {
		buf := make([]byte, cl)
		if _, err := io.ReadFull(stream, buf); err != nil {
			return bodyUnread(ctx, err)
		}
		ctx.Request.SetBodyStream(bytes.NewReader(buf), cl)
		return true
	}
	f, err := os.CreateTemp("", "uwsgi-body-")
	if err != nil {
		w.log.Printf("uwsgi: post-buffering: %v (the body streams instead)", err)
		return true
	}
	os.Remove(f.Name())
	if n, err := io.CopyN(f, stream, int64(cl)); err != nil {
		f.Close()
		if err == io.EOF && n < int64(cl) {
			err = io.ErrUnexpectedEOF
		}
		return bodyUnread(ctx, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return bodyUnread(ctx, err)
	}
	ctx.Request.SetBodyStream(f, cl) // closed by fasthttp when the request ends
	return true
}

// bodyUnread answers a request whose body could not be buffered.
func bodyUnread(ctx *fasthttp.RequestCtx, err error) bool {
	ctx.Request.SetBodyStream(errReader{err}, ctx.Request.Header.ContentLength())
	status := fasthttp.StatusBadRequest
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		status = fasthttp.StatusRequestTimeout
	}
	ctx.Error(fasthttp.StatusMessage(status), status)
	ctx.SetConnectionClose()
	return false
}

// unreadResult is the result of a request bodyUnread answered.
func unreadResult(ctx *fasthttp.RequestCtx) bridge.Result {
	return bridge.Result{Status: ctx.Response.StatusCode(), BodySize: int64(len(ctx.Response.Body())), IOError: true}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
