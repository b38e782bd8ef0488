package bridge

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// VarsOf returns the CGI/uwsgi variables of a request served by the bridge,
// or nil for a request that did not come through it. The map is new on each
// call and belongs to the caller.
func VarsOf(r *http.Request) map[string]string {
	ex, _ := r.Context().Value(varsKey{}).(*exchange)
	if ex == nil || ex.fctx == nil {
		if fill, ok := r.Context().Value(varsFuncKey{}).(func(map[string]string)); ok {
			m := make(map[string]string, 24)
			fill(m)
			return m
		}
		return nil
	}
	m := make(map[string]string, 24)
	if ex.vars != nil {
		ex.vars.AppendVars(ex.fctx, m)
	}
	return m
}

type varsFuncKey struct{}

// WithVars attaches the variables of a request the bridge does not serve
// (an HTTP/2 stream): VarsOf calls fill with a new map.
func WithVars(ctx context.Context, fill func(map[string]string)) context.Context {
	return context.WithValue(ctx, varsFuncKey{}, fill)
}

// ClientCertVars sets the client certificate variables of a TLS
// connection (see clientCertVars); nothing without a client certificate.
func ClientCertVars(m map[string]string, st *tls.ConnectionState, export bool) {
	if st != nil && len(st.PeerCertificates) > 0 {
		clientCertVars(m, st.PeerCertificates[0], export)
	}
}

// HTTPVars generates the variables uWSGI builds for a request that arrived
// on an HTTP socket (see the spec, §2.8).
type HTTPVars struct {
	ServerName string // SERVER_NAME: the machine's host name
	ServerPort string // SERVER_PORT: the socket's port, "80" for unix sockets
	HTTPS      bool
	// ExportCert adds HTTPS_CC, the client certificate in PEM
	// (--https-export-cert).
	ExportCert bool
}

// AppendVars implements VarsSource.
func (hv *HTTPVars) AppendVars(ctx *fasthttp.RequestCtx, m map[string]string) {
	h := &ctx.Request.Header
	uri := string(h.RequestURI())
	path, query, _ := strings.Cut(uri, "?")
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	m["REQUEST_METHOD"] = string(h.Method())
	m["REQUEST_URI"] = uri
	m["PATH_INFO"] = path
	m["QUERY_STRING"] = query
	m["SERVER_PROTOCOL"] = string(h.Protocol())
	m["SCRIPT_NAME"] = ""
	m["SERVER_NAME"] = hv.ServerName
	m["SERVER_PORT"] = hv.ServerPort
	if tcp, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		ap := tcp.AddrPort()
		m["REMOTE_ADDR"] = ap.Addr().Unmap().String()
		m["REMOTE_PORT"] = strconv.Itoa(int(ap.Port()))
	} else {
		m["REMOTE_ADDR"] = ""
	}
	if hv.HTTPS {
		m["HTTPS"] = "on"
		m["UWSGI_SCHEME"] = "https"
		if st := ctx.TLSConnectionState(); st != nil && len(st.PeerCertificates) > 0 {
			clientCertVars(m, st.PeerCertificates[0], hv.ExportCert)
		}
	} else {
		m["UWSGI_SCHEME"] = "http"
	}
	if cl := h.ContentLength(); cl >= 0 {
		m["CONTENT_LENGTH"] = strconv.Itoa(cl)
	}
	for k, v := range h.All() {
		name := cgiName(k)
		if name == "HTTP_CONTENT_LENGTH" {
			continue
		}
		if name == "HTTP_CONTENT_TYPE" {
			name = "CONTENT_TYPE"
		}
		if old, ok := m[name]; ok && strings.HasPrefix(name, "HTTP_") {
			m[name] = old + ", " + string(v)
			continue
		}
		m[name] = string(v)
	}
}

// cgiName turns a header name into its CGI variable: HTTP_ + upper case, - → _.
func cgiName(k []byte) string {
	b := make([]byte, 0, len(k)+5)
	b = append(b, "HTTP_"...)
	for _, c := range k {
		switch {
		case c == '-':
			c = '_'
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
