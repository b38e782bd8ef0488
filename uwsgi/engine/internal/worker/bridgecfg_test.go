package worker

import (
	"net/http"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
)

// TestSetupBridgeReuse: the bridge reuses requests only when the app
// (uwsgi.ReuseRequests) or --reuse-requests asks; ServerContextKey's
// server names the socket.
func TestSetupBridgeReuse(t *testing.T) {
	for _, c := range []struct{ app, opt, want bool }{{false, false, false}, {true, false, true}, {false, true, true}} {
		w := &Worker{opts: options.Options{ReuseRequests: c.opt}, app: App{HTTP: http.NotFoundHandler(), ReuseRequests: c.app}, log: &logger.Logger{}}
		var b bridge.Server
		w.setupBridge(&b, nil, &socket.Socket{Name: "127.0.0.1:3031"})
		if b.ReuseRequests != c.want || b.Std == nil || b.Std.Addr != "127.0.0.1:3031" {
			t.Errorf("app %v, --reuse-requests %v: ReuseRequests %v (want %v), Std %+v", c.app, c.opt, b.ReuseRequests, c.want, b.Std)
		}
	}
}
