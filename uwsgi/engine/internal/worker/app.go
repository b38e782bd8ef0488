package worker

import (
	"net/http"

	"github.com/valyala/fasthttp"
)

// App is what the instance serves: a net/http handler (through the bridge)
// or a native fasthttp handler. Exactly one is set.
type App struct {
	HTTP http.Handler
	Fast fasthttp.RequestHandler
	// ReuseRequests reuses each *http.Request and what it holds for later
	// requests (see bridge.Server.ReuseRequests); --reuse-requests sets it too.
	ReuseRequests bool
}
