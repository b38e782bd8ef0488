package engine

import (
	"bytes"

	"github.com/uwsgo/uwsgo/uwsgi/proto"
	"github.com/valyala/fasthttp"
)

// httpFixedVars is how many CGI variables an HTTP request takes besides
// its headers (REQUEST_METHOD, PATH_INFO, SERVER_NAME...): what is left of
// --max-vars is the header limit, as uWSGI's http-socket counts them.
const httpFixedVars = 16

// rejectHTTP checks what fasthttp lets through but a careful server
// refuses: both Content-Length and Transfer-Encoding (request smuggling),
// header names that are not tokens, too many headers, and request targets
// that are not printable ASCII. It returns the status to answer, or 0.
func (w *Worker) rejectHTTP(ctx *fasthttp.RequestCtx) (int, string) {
	h := &ctx.Request.Header
	for _, c := range h.RequestURI() {
		if c <= ' ' || c >= 0x7f {
			return fasthttp.StatusBadRequest, "invalid character in the request target"
		}
	}
	raw := h.RawHeaders()
	maxHeaders := proto.MaxPairs(w.opts.MaxVars) - httpFixedVars
	n, hasCL, hasTE := 0, false, false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		if n++; n > maxHeaders {
			return fasthttp.StatusRequestHeaderFieldsTooLarge, "too many headers"
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return fasthttp.StatusBadRequest, "invalid header name"
		}
		name := line[:colon]
		hasCL = hasCL || bytes.EqualFold(name, headerContentLength)
		hasTE = hasTE || bytes.EqualFold(name, headerTransferEncoding)
	}
	if hasCL && hasTE {
		return fasthttp.StatusBadRequest, "both Content-Length and Transfer-Encoding"
	}
	return 0, ""
}

var (
	headerContentLength    = []byte("Content-Length")
	headerTransferEncoding = []byte("Transfer-Encoding")
)

// tokenChars marks the bytes an RFC 9110 token may hold.
var tokenChars = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range []byte(`"(),/:;<=>?@[\]{}`) {
		t[c] = false
	}
	return t
}()

// isToken reports whether b is an RFC 9110 token.
func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}
