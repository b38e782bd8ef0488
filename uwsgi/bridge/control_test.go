package bridge

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// TestControlCancel: Control.Cancel cancels the context of the request in
// flight on its core with the error given, and nothing once that request
// has returned, in both request modes. With ReuseRequests the next request
// of the same exchange reuses the context: on another core, the first
// core's Control must not cancel it.
func TestControlCancel(t *testing.T) {
	errStop := errors.New("stop")
	for _, reuse := range []bool{false, true} {
		var a, b Control
		var during bool
		var cause error
		var ctxs []context.Context
		var srv *Server
		srv = &Server{ReuseRequests: reuse, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctxs = append(ctxs, r.Context())
			if len(ctxs) == 1 {
				during = a.Cancel(errStop)
				cause = whyEnded(r)
			}
		})}
		srv.ServeControlled(bareCtx(), ModeHTTP, nil, &a)
		if !during || !errors.Is(cause, errStop) {
			t.Errorf("reuse=%v: Cancel while the handler ran reported %v, cause %v; want true, %v", reuse, during, cause, errStop)
		}
		if a.Cancel(errStop) {
			t.Errorf("reuse=%v: Cancel after the request returned reported a request in flight", reuse)
		}
		// The next request, on core b: a's Cancel must leave it alone.
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a.Cancel(errStop) {
				t.Errorf("reuse=%v: core a's Control cancelled core b's request", reuse)
			}
			if err := r.Context().Err(); err != nil {
				t.Errorf("reuse=%v: core b's request context ended while it ran: %v", reuse, err)
			}
			if !b.Cancel(errStop) || !errors.Is(whyEnded(r), errStop) || r.Context().Err() != context.Canceled {
				t.Errorf("reuse=%v: core b's Control did not cancel its request", reuse)
			}
		})
		srv.ServeControlled(bareCtx(), ModeHTTP, nil, &b)
	}
}

// whyEnded is the error that ended r's context, nil while it runs.
func whyEnded(r *http.Request) error {
	c := r.Context().(*reqContext)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why
}
