package worker

import (
	"net/http"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/valyala/fasthttp"
)

// setupBridge configures the net/http bridge of one socket: srv is the
// fasthttp server of an HTTP socket (nil on a uwsgi socket).
func (w *Worker) setupBridge(b *bridge.Server, srv *fasthttp.Server, sock *socket.Socket) {
	b.Handler = w.app.HTTP
	b.HTTP = srv
	b.Logf = w.log.Printf
	b.ReuseRequests = w.app.ReuseRequests || w.opts.ReuseRequests
	// What handlers find under http.ServerContextKey: the socket's address
	// and the timeouts that apply, as far as net/http has names for them.
	b.Std = &http.Server{
		Addr:              sock.Name,
		Handler:           w.app.HTTP,
		ReadHeaderTimeout: w.opts.SocketTimeout,
		IdleTimeout:       w.opts.HTTPTimeout,
	}
}
