package bridge

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// informational sends a 1xx response (103 Early Hints, 100) at once with
// the headers set so far, as net/http does. On a uwsgi socket it is dropped:
// the front end (nginx's uwsgi module) would take it for the final answer.
func (w *responseWriter) informational(code int) {
	ex := w.ex
	if ex.mode != ModeHTTP {
		return
	}
	if code == http.StatusContinue && ex.continued != nil {
		if ex.continued.sent {
			return // the body's first read sent it already
		}
		ex.continued.answered = true
	}
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 ")
	b.WriteString(strconv.Itoa(code))
	b.WriteByte(' ')
	b.WriteString(http.StatusText(code))
	b.WriteString("\r\n")
	_ = w.header.WriteSubset(&b, informationalExcluded)
	b.WriteString("\r\n")
	_, _ = ex.fctx.Conn().Write(b.Bytes())
}

var informationalExcluded = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Trailer": true}

// declareTrailers records, when the header is written, the trailers the
// handler announced: the names in its Trailer header and the keys with
// http.TrailerPrefix. Only a chunked response (HTTP/1.1 socket, HTTP/1.1
// client) can carry them; elsewhere they are dropped, as net/http drops
// them for HTTP/1.0 clients.
func (w *responseWriter) declareTrailers() {
	for _, v := range w.header["Trailer"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				w.trailers = append(w.trailers, http.CanonicalHeaderKey(name))
			}
		}
	}
	hasPrefixed := false
	for k := range w.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			hasPrefixed = true
		}
	}
	ex := w.ex
	w.hasTrailers = (len(w.trailers) > 0 || hasPrefixed) && ex.mode == ModeHTTP &&
		ex.req.ProtoAtLeast(1, 1) && ex.req.Method != http.MethodHead && bodyAllowed(w.status)
}

// appendTrailers appends the trailer section's header lines: the declared
// trailers' values and every http.TrailerPrefix key, as the handler left
// them when it returned.
func (w *responseWriter) appendTrailers(b []byte) []byte {
	line := func(k string, vv []string) {
		for _, v := range vv {
			b = append(append(append(append(b, k...), ": "...), v...), "\r\n"...)
		}
	}
	for _, k := range w.trailers {
		line(k, w.header[k])
	}
	for k, vv := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			line(http.CanonicalHeaderKey(name), vv)
		}
	}
	return b
}

// CloseNotify implements http.CloseNotifier: the channel receives true
// when the client goes away while the handler runs.
func (w *responseWriter) CloseNotify() <-chan bool {
	if w.closeCh == nil {
		ch := make(chan bool, 1)
		w.closeCh = ch
		rc := &w.ex.rs.rctx
		rc.AfterFunc(func() {
			if rc.clientGone() {
				ch <- true
			}
		})
	}
	return w.closeCh
}

// SetReadDeadline is what http.ResponseController calls: the deadline of
// the request body's reads.
func (w *responseWriter) SetReadDeadline(t time.Time) error {
	return w.ex.fctx.SetReadDeadline(t)
}

// SetWriteDeadline is what http.ResponseController calls.
func (w *responseWriter) SetWriteDeadline(t time.Time) error {
	return w.ex.fctx.SetWriteDeadline(t)
}

// EnableFullDuplex is what http.ResponseController calls: the handler reads
// the body while it writes, so the response may stream before the body was
// read (which a uwsgi socket otherwise waits for; see overflowing).
func (w *responseWriter) EnableFullDuplex() error {
	w.fullDuplex = true
	return nil
}
