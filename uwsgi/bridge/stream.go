package bridge

import (
	"bufio"
	"net/http"
	"strconv"
	"sync"
)

// streamer writes a response straight to the connection once the handler
// flushed or outgrew the buffer.
type streamer struct {
	w         *responseWriter // set when the chunked body ends with trailers
	bw        *bufio.Writer
	chunked   bool
	skipBody  bool
	keepAlive bool
	err       error
}

var bufioWriterPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}

// startStream writes the status line, the headers and what the body buffer
// holds, and switches the writer to streaming.
func (w *responseWriter) startStream() error {
	ex := w.ex
	ctx := ex.fctx
	resp := &ctx.Response
	st := &ex.st
	*st = streamer{}
	st.skipBody = ex.req.Method == http.MethodHead
	http11 := ex.req.ProtoAtLeast(1, 1)
	switch {
	case w.hasTrailers:
		resp.Header.SetContentLength(-1)
		st.chunked = true
		st.keepAlive = true
		st.w = w
	case ex.declaredLength >= 0:
		resp.Header.SetContentLength(int(ex.declaredLength))
		st.keepAlive = ex.mode == ModeHTTP
	case ex.mode == ModeHTTP && http11 && !st.skipBody:
		resp.Header.SetContentLength(-1)
		st.chunked = true
		st.keepAlive = true
	default:
		resp.Header.SetContentLength(-2)
		if ex.mode == ModeHTTP {
			ctx.SetConnectionClose()
		}
	}
	if ctx.Request.Header.ConnectionClose() || resp.ConnectionClose() {
		st.keepAlive = false
	}
	if ex.mode == ModeUwsgi {
		resp.Header.SetProtocol(ctx.Request.Header.Protocol())
		resp.SetConnectionClose() // the body ends when the connection closes
	}
	st.bw = bufioWriterPool.Get().(*bufio.Writer)
	st.bw.Reset(ctx.Conn())
	ex.scratch = resp.Header.AppendBytes(ex.scratch[:0])
	_, st.err = st.bw.Write(ex.scratch)
	body := resp.Body()
	if len(body) > 0 {
		_, _ = st.write(body)
	}
	resp.ResetBody()
	w.stream = st
	return st.err
}

// write sends p as one chunk (or raw).
func (st *streamer) write(p []byte) (int, error) {
	if st.err != nil {
		return 0, st.err
	}
	if st.skipBody || len(p) == 0 {
		return len(p), nil
	}
	if st.chunked {
		var hdr [18]byte
		b := strconv.AppendInt(hdr[:0], int64(len(p)), 16)
		b = append(b, '\r', '\n')
		if _, st.err = st.bw.Write(b); st.err != nil {
			return 0, st.err
		}
	}
	if _, st.err = st.bw.Write(p); st.err != nil {
		return 0, st.err
	}
	if st.chunked {
		_, st.err = st.bw.Write(crlf)
	}
	return len(p), st.err
}

var crlf = []byte("\r\n")

func (st *streamer) flush() error {
	if st.err == nil {
		st.err = st.bw.Flush()
	}
	return st.err
}

// finish ends the body and reports whether the connection may serve
// another request.
func (st *streamer) finish() bool {
	if st.chunked && st.err == nil {
		if st.w != nil {
			b := append(st.w.ex.scratch[:0], "0\r\n"...)
			b = append(st.w.appendTrailers(b), "\r\n"...)
			st.w.ex.scratch = b
			_, st.err = st.bw.Write(b)
		} else {
			_, st.err = st.bw.WriteString("0\r\n\r\n")
		}
	}
	st.flush()
	st.bw.Reset(nil)
	bufioWriterPool.Put(st.bw)
	st.bw = nil
	return st.keepAlive && st.err == nil
}
