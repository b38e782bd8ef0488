package worker

import (
	"unsafe"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/static"
	"github.com/valyala/fasthttp"
)

// serveStatic answers a request a static mount covers; ok is false when
// the app should run.
func (w *Worker) serveStatic(ctx *fasthttp.RequestCtx, core int) (res bridge.Result, ok bool) {
	p := ctx.Path()
	// The path is only read during the call: no copy.
	file, forbidden := w.static.Open(unsafe.String(unsafe.SliceData(p), len(p)), w.static.MayGzip(ctx))
	if !file.Found() && !forbidden {
		return res, false
	}
	if forbidden {
		w.log.Printf("uwsgi: static file %q resolves out of its root and every --static-safe directory: 403", p)
		res.Status, res.BodySize = static.Forbidden(ctx)
	} else {
		res.Status, res.BodySize = w.static.Serve(ctx, file)
	}
	w.board.Core(w.slot, core).StaticRequests.Add(1)
	res.Static = true
	return res, true
}
