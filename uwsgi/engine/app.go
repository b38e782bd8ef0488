package engine

import (
	"net/http"

	"github.com/valyala/fasthttp"
)

// App is what the instance serves: a net/http handler (through the bridge)
// or a native fasthttp handler. Exactly one is set.
type App struct {
	HTTP http.Handler
	Fast fasthttp.RequestHandler
}
