package worker

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/tlsconf"
	"github.com/uwsgo/uwsgo/uwsgi/static"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"golang.org/x/crypto/acme/autocert"
)

// tlsListener wraps the connections of an HTTPS socket in TLS. Accept
// does no handshake: fasthttp runs it in the connection's own goroutine
// (Server.getNextProto calls Handshake before the first request), so a
// slow or hostile client never holds up the accept loop. The handshake
// reads through the drainConn, under --socket-timeout from the accept.
type tlsListener struct {
	net.Listener
	cfg *tls.Config
	log *logger.Logger
}

// Accept implements net.Listener.
func (l tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	// A TLS connection's first request is a handshake away, and the
	// handshake may wait for as long as a certificate order takes (ACME):
	// its core is not reserved (see admit.go). The accept loop still took
	// it only while a core was free.
	socket.DropReserved(c)
	dc, _ := c.(*socket.DrainConn)
	return &tlsConn{Conn: tls.Server(c, l.cfg), dc: dc, log: l.log}, nil
}

// tlsConn is an accepted HTTPS connection.
type tlsConn struct {
	*tls.Conn
	dc     *socket.DrainConn
	log    *logger.Logger
	failed atomic.Bool // the handshake failed (and was logged)
}

// Handshake runs the TLS handshake once; a failure is logged once, and
// fasthttp then closes the connection. A connection closed before its
// first byte (a port probe, a health check) is not a failure, as on an
// HTTP socket.
func (c *tlsConn) Handshake() error {
	err := c.Conn.Handshake()
	if err != nil && errors.Is(err, io.EOF) && c.dc != nil && !c.dc.Active.Load() {
		return err
	}
	if err != nil && c.failed.CompareAndSwap(false, true) {
		c.log.Printf("uwsgi: TLS handshake with %s failed: %v", c.RemoteAddr(), err)
	}
	return err
}

// Read implements net.Conn. After a failed handshake (logged) it reports
// a plain end of stream, so that fasthttp closes the connection without
// trying a 400 and logging the failure twice more.
func (c *tlsConn) Read(p []byte) (int, error) {
	if c.failed.Load() {
		return 0, io.EOF
	}
	return c.Conn.Read(p)
}

// AwaitRequest passes on to the drainConn that a new request is awaited.
func (c *tlsConn) AwaitRequest() {
	if c.dc != nil {
		c.dc.AwaitRequest()
	}
}

// ProcessTLS makes this process's TLS contexts: from the master's bundle
// in a worker, from the files in a single process. nil without HTTPS sockets.
func ProcessTLS(cfg *config.Config, opts options.Options, app App, log *logger.Logger) (*tlsconf.TLSContexts, error) {
	conf, err := tlsconf.ReadTLSConf(cfg)
	if err != nil || !conf.Enabled() {
		return nil, err
	}
	var b tlsconf.TLSBundle
	warn := true
	if v := os.Getenv(handoff.EnvTLS); v != "" {
		fd, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: bad %s=%q", handoff.EnvTLS, v)
		}
		f := os.NewFile(uintptr(fd), "tls")
		b, err = tlsconf.BundleFromFile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("uwsgi: %v", err)
		}
		warn = false // the master warned
	} else if b, err = tlsconf.ReadTLSBundle(conf); err != nil {
		return nil, err
	}
	return tlsconf.BuildTLSContexts(conf, b, alpnProtocols(cfg, opts, app), log, warn)
}

// alpnProtocols are the protocols HTTPS sockets offer through ALPN: h2
// first for a net/http app, unless internal routing or static files are
// configured (they run on fasthttp's request only, and a rule must not be
// skipped because a client chose HTTP/2: those instances stay on
// HTTP/1.1, see docs/tls.md).
func alpnProtocols(cfg *config.Config, opts options.Options, app App) []string {
	if app.Fast != nil || app.HTTP == nil {
		return []string{"http/1.1"}
	}
	chains, err := compileChains(cfg)
	if err != nil || chains.request != nil || chains.response != nil || chains.errors != nil || chains.final != nil {
		return []string{"http/1.1"}
	}
	if st, err := static.New(opts.Static); err != nil || st != nil {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
}

// acmeChallengePath is where the CA fetches HTTP-01 tokens.
const acmeChallengePath = "/.well-known/acme-challenge/"

// acmeHTTP01 answers the CA's HTTP-01 requests on a plain HTTP socket of
// an instance in ACME mode (autocert then offers HTTP-01 besides
// TLS-ALPN-01), with a request log line; every other request goes to
// next. The token needs no core: it is a lookup in memory or the cache.
func (hs *httpServer) acmeHTTP01(m *autocert.Manager, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	tokens := fasthttpadaptor.NewFastHTTPHandler(m.HTTPHandler(nil))
	return func(ctx *fasthttp.RequestCtx) {
		if !bytes.HasPrefix(ctx.Path(), []byte(acmeChallengePath)) {
			next(ctx)
			return
		}
		start := time.Now()
		// The host policy sees the name alone (a CA's test port is not part of it).
		if host, _, err := net.SplitHostPort(string(ctx.Host())); err == nil {
			ctx.Request.Header.SetHost(host)
			ctx.Request.URI().SetHost(host)
		}
		tokens(ctx)
		res := bridge.Result{Status: ctx.Response.StatusCode(), BodySize: int64(len(ctx.Response.Body()))}
		hs.w.finishRequest(ctx, 0, start, &res, func() reqSize {
			return httpVarsSize(&ctx.Request.Header, uint8(hs.w.opts.HTTPModifier1))
		})
	}
}

// WrappedConn is the connection under the TLS layer (see socket's wrapped).
func (c *tlsConn) WrappedConn() net.Conn { return c.NetConn() }
