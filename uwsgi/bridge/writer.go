package bridge

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// responseWriter is the pooled http.ResponseWriter of a bridged request.
// Until it streams, the body accumulates in the fasthttp response.
type responseWriter struct {
	ex          *exchange
	header      http.Header
	status      int
	wroteHeader bool
	sniffed     bool
	hijacked    bool
	written     int64
	stream      *streamer
	// trailers are the names the handler declared in its Trailer header,
	// or set with http.TrailerPrefix before WriteHeader; hasTrailers makes
	// the response chunked.
	trailers    []string
	hasTrailers bool
	fullDuplex  bool
	closeCh     chan bool
	// overDeclared: a write went past the declared Content-Length.
	overDeclared bool
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
	_ http.Hijacker       = (*responseWriter)(nil)
	_ http.CloseNotifier  = (*responseWriter)(nil) //nolint:staticcheck // gin's c.Stream still calls it
)

func (w *responseWriter) reset() {
	if len(w.header) > 0 {
		clear(w.header)
	}
	w.ex.declaredLength = -1
	w.status, w.wroteHeader, w.sniffed, w.hijacked, w.written, w.stream = 0, false, false, false, 0, nil
	w.trailers, w.hasTrailers, w.fullDuplex, w.closeCh, w.overDeclared = w.trailers[:0], false, false, nil, false
}

// Header implements http.ResponseWriter.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter. The header map is copied into
// the response now, as net/http snapshots it.
func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader || w.hijacked {
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.informational(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	resp := &w.ex.fctx.Response
	resp.SetStatusCode(code)
	if len(w.header) == 0 {
		return // nothing to copy, declare or check (a hello handler's answer)
	}
	w.copyHeader(code)
}

// copyHeader copies the handler's header map into the response at
// WriteHeader(code), noting the trailers, Connection: close and the
// declared Content-Length.
func (w *responseWriter) copyHeader(code int) {
	resp := &w.ex.fctx.Response
	_, hasCT := w.header["Content-Type"]
	w.sniffed = hasCT
	w.declareTrailers()
	for k, vv := range w.header {
		switch k {
		case "Content-Length", "Transfer-Encoding":
			continue
		case "Trailer":
			if !w.hasTrailers {
				continue
			}
		case "Connection":
			if len(vv) > 0 && vv[0] == "close" {
				w.ex.fctx.SetConnectionClose()
			}
			if code != http.StatusSwitchingProtocols {
				continue
			}
		}
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		for _, v := range vv {
			resp.Header.Add(k, v)
		}
	}
	if cl, ok := w.header["Content-Length"]; ok && len(cl) > 0 {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			w.ex.declaredLength = n
		}
	}
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if d := w.ex.declaredLength; d >= 0 && w.written+int64(len(p)) > d {
		// As net/http: a write past the declared Content-Length sends
		// nothing and fails; the response then ends short, on a closed
		// connection (see finish).
		w.overDeclared = true
		return 0, http.ErrContentLength
	}
	if !w.sniffed && len(p) > 0 {
		w.sniffed = true
		w.ex.fctx.Response.Header.SetContentType(http.DetectContentType(p))
	}
	w.written += int64(len(p))
	if w.stream != nil {
		return w.stream.write(p)
	}
	w.ex.fctx.Response.AppendBody(p)
	if w.overflowing() {
		if err := w.startStream(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// WriteString implements io.StringWriter without converting to []byte.
func (w *responseWriter) WriteString(s string) (int, error) {
	if w.stream == nil && w.wroteHeader && w.sniffed && !w.hijacked && bodyAllowed(w.status) &&
		(w.ex.declaredLength < 0 || w.written+int64(len(s)) <= w.ex.declaredLength) {
		w.written += int64(len(s))
		w.ex.fctx.Response.AppendBodyString(s)
		if w.overflowing() {
			if err := w.startStream(); err != nil {
				return 0, err
			}
		}
		return len(s), nil
	}
	return w.Write([]byte(s))
}

// Flush implements http.Flusher: the response starts streaming.
func (w *responseWriter) Flush() {
	if w.hijacked {
		return
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.stream == nil {
		if w.startStream() != nil {
			return
		}
	}
	_ = w.stream.flush()
}

// FlushError is what http.ResponseController calls.
func (w *responseWriter) FlushError() error {
	w.Flush()
	if w.stream != nil {
		return w.stream.err
	}
	return nil
}

var errStreamed = errors.New("bridge: connection already used by a streamed response")

// Hijack implements http.Hijacker.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.stream != nil {
		return nil, nil, errStreamed
	}
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	ex := w.ex
	// No background read may take the handler's bytes from now on.
	ex.rs.rctx.stopWatching()
	w.hijacked = true
	c := ex.fctx.Conn()
	if w.wroteHeader {
		// WriteHeader(101) then Hijack, as coder/websocket does: the
		// pending response goes out now, as net/http sends it.
		resp := &ex.fctx.Response
		resp.Header.SetProtocol(ex.fctx.Request.Header.Protocol())
		ex.scratch = resp.Header.AppendBytes(ex.scratch[:0])
		if _, err := c.Write(ex.scratch); err != nil {
			return nil, nil, err
		}
	}
	// The connection serves what the client sent behind the request first
	// (see Conn), so the reader holds those bytes as net/http's does.
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	return c, rw, nil
}

// overflowing reports whether the buffered body outgrew the buffer and the
// response should stream. Behind a uwsgi socket the proxy (nginx) sends the
// whole request body before it reads the response: streaming while the body
// is still coming would deadlock once both socket buffers fill, so the
// response stays buffered until the request body was read.
func (w *responseWriter) overflowing() bool {
	if len(w.ex.fctx.Response.Body()) <= w.ex.srv.bufferSize() {
		return false
	}
	return w.ex.mode == ModeHTTP || w.fullDuplex || w.ex.body.drained()
}

func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199) && status != http.StatusNoContent && status != http.StatusNotModified
}

func (s *Server) bufferSize() int {
	if s.BufferSize > 0 {
		return s.BufferSize
	}
	return DefaultBufferSize
}
