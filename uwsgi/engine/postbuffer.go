package engine

import (
	"bytes"
	"io"
	"os"

	"github.com/valyala/fasthttp"
)

// bufferBody is --post-buffering N: a request body still streaming from
// the client is read whole before the handler runs (and before it takes a
// core), in memory up to N bytes, in an unlinked temporary file above; the
// handler then reads it at memory or disk speed. Chunked bodies of unknown
// length stream as before.
func (w *Worker) bufferBody(ctx *fasthttp.RequestCtx) {
	limit := w.opts.PostBuffering
	stream := ctx.RequestBodyStream()
	cl := ctx.Request.Header.ContentLength()
	if limit <= 0 || stream == nil || cl <= 0 {
		return
	}
	if int64(cl) <= limit {
		buf := make([]byte, cl)
		if _, err := io.ReadFull(stream, buf); err != nil {
			ctx.Request.SetBodyStream(errReader{err}, cl)
			return
		}
		ctx.Request.SetBodyStream(bytes.NewReader(buf), cl)
		return
	}
	f, err := os.CreateTemp("", "uwsgi-body-")
	if err != nil {
		w.log.Printf("uwsgi: post-buffering: %v (the body streams instead)", err)
		return
	}
	os.Remove(f.Name())
	if _, err := io.CopyN(f, stream, int64(cl)); err != nil {
		f.Close()
		ctx.Request.SetBodyStream(errReader{err}, cl)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		ctx.Request.SetBodyStream(errReader{err}, cl)
		return
	}
	ctx.Request.SetBodyStream(f, cl) // closed by fasthttp when the request ends
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
