package bridge

import (
	"bytes"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// span locates a string inside the per-request string blob.
type span struct{ off, end int }

// internMethod is the constant string of a common method (no map lookup:
// a switch on a 3- to 7-byte string is a few compares).
func internMethod(m []byte) (string, bool) {
	switch string(m) {
	case "GET":
		return "GET", true
	case "HEAD":
		return "HEAD", true
	case "POST":
		return "POST", true
	case "PUT":
		return "PUT", true
	case "PATCH":
		return "PATCH", true
	case "DELETE":
		return "DELETE", true
	case "OPTIONS":
		return "OPTIONS", true
	case "CONNECT":
		return "CONNECT", true
	case "TRACE":
		return "TRACE", true
	}
	return "", false
}

// internedHeaders maps the common header names to constant strings, so a
// request made only of them (and a common method) costs no key allocation.
var internedHeaders = map[string]string{}

func init() {
	for _, h := range []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Content-Encoding", "Content-Length", "Content-Type",
		"Cookie", "Date", "Dnt", "Expect", "Forwarded", "From", "If-Match", "If-Modified-Since",
		"If-None-Match", "If-Range", "If-Unmodified-Since", "Origin", "Pragma", "Range",
		"Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
		"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions",
		"Sec-Websocket-Protocol", "Te", "Upgrade", "Upgrade-Insecure-Requests", "User-Agent",
		"Via", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip",
		"X-Request-Id", "X-Requested-With",
	} {
		internedHeaders[h] = h
	}
}

// headerPair is one request header: an interned key or a key span, and a value span.
type headerPair struct {
	key  string
	k, v span
}

// buildRequest gives the exchange its request objects (newState) and fills
// ex.req from the fasthttp request in ctx (deferred: its body is one
// DeferContinue took over). Everything the request carries is one string:
// in the request's own objects when it fits, else allocated.
func (ex *exchange) buildRequest(ctx *fasthttp.RequestCtx, deferred bool) error {
	h := &ctx.Request.Header
	ex.blob = ex.blob[:0]
	ex.pairs = ex.pairs[:0]

	method, interned := internMethod(h.Method())
	var mSpan span
	if !interned {
		mSpan = ex.add(h.Method())
	}
	uriSpan := ex.add(h.RequestURI())
	hostSpan := ex.add(h.Host())
	remoteAddr, cached := ex.cachedRemoteAddr()
	var addrSpan span
	if !cached {
		addrSpan = ex.addRemoteAddr(ctx)
	}
	for k, v := range h.All() {
		if string(k) == "Host" || string(k) == "Connection" && ex.impliedClose(h, v) {
			continue
		}
		var p headerPair
		if key, ok := internedHeaders[string(k)]; ok {
			p.key = key
		} else {
			p.k = ex.add(k)
		}
		p.v = ex.add(v)
		ex.pairs = append(ex.pairs, p)
	}
	ex.newState(len(ex.pairs), len(ex.blob), deferred || hasBody(h))
	s := ex.blobString()
	at := func(sp span) string { return s[sp.off:sp.end] }
	if !interned {
		method = at(mSpan)
	}
	if !cached {
		remoteAddr = at(addrSpan)
		ex.cacheRemoteAddr(remoteAddr)
	}

	r := &ex.rs.req
	if ex.srv.ReuseRequests {
		r = ex.ownReq
		*r = *ex.tmpl
	}
	r.Method = method
	r.RequestURI = at(uriSpan)
	r.Host = at(hostSpan)
	r.RemoteAddr = remoteAddr
	r.Proto, r.ProtoMajor, r.ProtoMinor = protoOf(h)
	r.Close = h.ConnectionClose()
	r.Header = ex.fillHeader(s)
	r.URL = &ex.rs.url
	if err := ex.parseURL(r.RequestURI); err != nil {
		return err
	}
	if !ex.srv.ReuseRequests {
		r = withContext(r, &ex.rs.rctx)
	}
	ex.req = r
	ex.setBody(ctx)
	return nil
}

// blobString is the request's strings as one string: in the request's
// fresh reqState when they fit (it is never reused: nothing writes those
// bytes again), else a new string. With Server.ReuseRequests the reqState
// is reused, so the string is always a new one.
func (ex *exchange) blobString() string {
	b := ex.blob
	if len(b) == 0 {
		return ""
	}
	if len(b) > len(ex.inline) {
		return string(b)
	}
	n := copy(ex.inline, b)
	return unsafe.String(&ex.inline[0], n)
}

// cachedRemoteAddr is the formatted RemoteAddr of the connection's
// earlier requests: an HTTP socket's peer does not change (a uwsgi
// socket's REMOTE_ADDR does, so it is formatted for each request).
func (ex *exchange) cachedRemoteAddr() (string, bool) {
	if c := ex.bc; c != nil && c.remoteAddr != "" {
		return c.remoteAddr, true
	}
	return "", false
}

// localAddr is the request's http.LocalAddrContextKey, looked up once
// per HTTP connection.
func (ex *exchange) localAddr() net.Addr {
	c := ex.bc
	if c == nil {
		return ex.fctx.LocalAddr()
	}
	if c.localAddr == nil {
		c.localAddr = ex.fctx.LocalAddr()
	}
	return c.localAddr
}

// cacheRemoteAddr keeps a copy of s for the connection's next requests
// (a copy: s lives in this request's own memory).
func (ex *exchange) cacheRemoteAddr(s string) {
	if c := ex.bc; c != nil {
		c.remoteAddr = strings.Clone(s)
	}
}

func (ex *exchange) add(b []byte) span {
	sp := span{len(ex.blob), len(ex.blob) + len(b)}
	ex.blob = append(ex.blob, b...)
	return sp
}

// addRemoteAddr records "ip:port" as net/http formats RemoteAddr.
func (ex *exchange) addRemoteAddr(ctx *fasthttp.RequestCtx) span {
	start := len(ex.blob)
	switch a := ctx.RemoteAddr().(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		ex.blob = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).AppendTo(ex.blob)
	default:
		ex.blob = append(ex.blob, a.String()...)
	}
	return span{start, len(ex.blob)}
}

// fillHeader builds the header map from the recorded pairs. Values live in
// one slice (the request state's when they fit), so a header seen once
// costs no slice allocation of its own. The map and the values are the
// request's own, unless the server reuses requests.
func (ex *exchange) fillHeader(s string) http.Header {
	var hdr http.Header
	var values []string
	if ex.srv.ReuseRequests {
		hdr = ex.header
		clear(hdr)
		if cap(ex.values) < len(ex.pairs) {
			ex.values = make([]string, 0, len(ex.pairs)+8)
		}
		values = ex.values[:0]
	} else {
		if len(ex.pairs) <= 8 {
			hdr = make(http.Header) // up to 8 keys fit the group its first key allocates
		} else {
			hdr = make(http.Header, len(ex.pairs))
		}
		values = ex.vals
		if len(ex.pairs) > cap(values) {
			values = make([]string, 0, len(ex.pairs))
		}
	}
	few := len(ex.pairs) <= 16
	for n, p := range ex.pairs {
		key := p.keyIn(s)
		v := s[p.v.off:p.v.end]
		// A repeated header is rare: with few headers, finding it among
		// the earlier keys is cheaper than a map lookup for every key.
		if !few || ex.seenKey(s, n, key) {
			if old, ok := hdr[key]; ok {
				hdr[key] = append(old[:len(old):len(old)], v)
				continue
			}
		}
		i := len(values)
		values = append(values, v)
		hdr[key] = values[i : i+1 : i+1]
	}
	if ex.srv.ReuseRequests {
		ex.values = values
	}
	return hdr
}

// keyIn is the pair's key: interned, or in the request's string s.
func (p *headerPair) keyIn(s string) string {
	if p.key != "" {
		return p.key
	}
	return s[p.k.off:p.k.end]
}

// seenKey reports whether one of the first n pairs has the key key.
func (ex *exchange) seenKey(s string, n int, key string) bool {
	for i := range n {
		if ex.pairs[i].keyIn(s) == key {
			return true
		}
	}
	return false
}

func protoOf(h *fasthttp.RequestHeader) (string, int, int) {
	switch p := h.Protocol(); string(p) {
	case "HTTP/1.1":
		return "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		return "HTTP/1.0", 1, 0
	default:
		proto := string(p)
		if major, minor, ok := http.ParseHTTPVersion(proto); ok {
			return proto, major, minor
		}
		return "HTTP/1.1", 1, 1
	}
}

// plainURI reports whether uri is an origin-form URI with no escape and no
// fragment, which needs no net/url parsing, and where its query starts (the
// index of the first '?', or -1), in one pass.
func plainURI(uri string) (query int, ok bool) {
	if len(uri) == 0 || uri[0] != '/' {
		return 0, false
	}
	query = -1
	for i := 1; i < len(uri); i++ {
		switch uri[i] {
		case '%', '#':
			return 0, false
		case '?':
			if query < 0 {
				query = i
			}
		}
	}
	return query, true
}

// parseURL fills the request's URL from the raw request URI without allocating for the
// common origin-form URI with no escapes; anything else goes through net/url.
func (ex *exchange) parseURL(uri string) error {
	u := &ex.rs.url
	if q, ok := plainURI(uri); ok {
		if q < 0 {
			u.Path = uri
			return nil
		}
		u.Path, u.RawQuery = uri[:q], uri[q+1:]
		u.ForceQuery = q == len(uri)-1
		return nil
	}
	parsed, err := url.ParseRequestURI(uri)
	if err != nil {
		return err
	}
	*u = *parsed
	return nil
}

// connectionReporter is a VarsSource that knows the client's Connection
// header (the uwsgi socket's request, whose header is built from the
// packet's variables).
type connectionReporter interface{ ClientConnection() []byte }

// impliedClose reports whether a Connection header value v is one fasthttp
// made up: its header reports a request's close (ConnectionClose) as
// "Connection: close", whether the client asked for it or it is implied
// (an HTTP/1.0 request without keep-alive; every uwsgi request, whose
// connection ends with it). net/http keeps only what the client sent in
// r.Header (r.Close says the rest). On the HTTP socket the raw header is
// the client's; a uwsgi request's source tells.
func (ex *exchange) impliedClose(h *fasthttp.RequestHeader, v []byte) bool {
	if string(v) != "close" {
		return false
	}
	if ex.mode != ModeHTTP {
		cr, ok := ex.vars.(connectionReporter)
		return ok && !hasToken(cr.ClientConnection(), "close")
	}
	raw := h.RawHeaders()
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if name := len("connection:"); len(line) > name && bytes.EqualFold(line[:name], []byte("connection:")) && hasToken(line[name:], "close") {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds token t
// (case-insensitive, spaces around the items ignored).
func hasToken(v []byte, t string) bool {
	for item := range bytes.SplitSeq(v, []byte(",")) {
		if bytes.EqualFold(bytes.TrimSpace(item), []byte(t)) {
			return true
		}
	}
	return false
}
