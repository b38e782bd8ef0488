package worker

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"

	"github.com/uwsgo/uwsgo/uwsgi/proto"
	"github.com/valyala/fasthttp"
)

// httpFixedVars is how many CGI variables an HTTP request takes besides
// its headers (REQUEST_METHOD, PATH_INFO, SERVER_NAME...): what is left of
// --max-vars is the header limit, as uWSGI's http-socket counts them.
const httpFixedVars = 16

// rejectHTTP checks what fasthttp lets through but a careful server
// refuses: both Content-Length and Transfer-Encoding (request smuggling),
// header names that are not tokens, too many headers, request targets
// that are not printable ASCII, HTTP versions other than 1.x (505, as
// nginx and net/http answer). It returns the status to answer, or 0. An
// absolute-form target is made origin-form on the way (see absoluteTarget).
func (w *Worker) rejectHTTP(ctx *fasthttp.RequestCtx) (int, string) {
	h := &ctx.Request.Header
	for _, c := range h.RequestURI() {
		if c <= ' ' || c >= 0x7f {
			return fasthttp.StatusBadRequest, "invalid character in the request target"
		}
	}
	if status, why := checkVersion(h.Protocol()); status != 0 {
		return status, why
	}
	if uri := h.RequestURI(); len(uri) > 0 && uri[0] != '/' && uri[0] != '*' {
		if !absoluteTarget(&ctx.Request, uri) {
			return fasthttp.StatusBadRequest, "invalid absolute-form request target"
		}
	}
	return checkHeaderLines(h.RawHeaders(), proto.MaxPairs(w.opts.MaxVars)-httpFixedVars)
}

// checkHeaderLines checks a request's raw header lines: at most maxHeaders
// of them, names that are tokens, not both Content-Length and
// Transfer-Encoding. It returns the status to answer, or 0.
func checkHeaderLines(raw []byte, maxHeaders int) (int, string) {
	n, hasCL, hasTE := 0, false, false
	for len(raw) > 0 {
		switch { // an empty line
		case raw[0] == '\n':
			raw = raw[1:]
			continue
		case raw[0] == '\r' && (len(raw) == 1 || raw[1] == '\n'):
			raw = raw[min(2, len(raw)):]
			continue
		}
		if n++; n > maxHeaders {
			return fasthttp.StatusRequestHeaderFieldsTooLarge, "too many headers"
		}
		// The name: token bytes up to the colon, in one pass.
		colon := 0
		for colon < len(raw) && tokenChars[raw[colon]] {
			colon++
		}
		if colon == 0 || colon == len(raw) || raw[colon] != ':' {
			return fasthttp.StatusBadRequest, "invalid header name"
		}
		switch name := raw[:colon]; len(name) {
		case len(headerContentLength):
			hasCL = hasCL || bytes.EqualFold(name, headerContentLength)
		case len(headerTransferEncoding):
			hasTE = hasTE || bytes.EqualFold(name, headerTransferEncoding)
		}
		if i := bytes.IndexByte(raw[colon:], '\n'); i >= 0 {
			raw = raw[colon+i+1:]
		} else {
			raw = nil
		}
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

// checkVersion answers 505 for a well-formed HTTP version whose major is
// not 1 (HTTP/2.0 spoken as text, HTTP/3.0), and 400 for a malformed one, as
// net/http does; fasthttp serves any "HTTP/x.y" as if it were HTTP/1.1.
func checkVersion(proto []byte) (int, string) {
	if string(proto) == "HTTP/1.1" || string(proto) == "HTTP/1.0" {
		return 0, ""
	}
	major, _, ok := http.ParseHTTPVersion(string(proto))
	switch {
	case !ok:
		return fasthttp.StatusBadRequest, "malformed HTTP version"
	case major != 1:
		return fasthttp.StatusHTTPVersionNotSupported, "unsupported HTTP version " + strconv.Quote(string(proto))
	}
	return 0, ""
}

// absoluteTarget turns an absolute-form request target (GET
// http://host/path) into origin-form, as RFC 9112 section 3.2.2 has a
// server do: the path (and query) is the target's, the Host is the
// target's authority, whatever the Host header said. It reports false for
// a target that is neither origin-form nor a valid URI with a host.
func absoluteTarget(req *fasthttp.Request, uri []byte) bool {
	if req.Header.IsConnect() {
		return true // authority-form (host:port) belongs to CONNECT
	}
	u, err := url.ParseRequestURI(string(uri))
	if err != nil || u.Host == "" { // an http URI with no host is invalid (RFC 9110 section 4.2.1)
		return false
	}
	target := u.EscapedPath()
	if target == "" {
		target = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		target += "?" + u.RawQuery
	}
	req.SetRequestURI(target)
	req.Header.SetHost(u.Host)
	return true
}
