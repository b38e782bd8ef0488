package engine

import (
	"unsafe"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/static"
	"github.com/valyala/fasthttp"
)

// staticConfig reads the static file options.
func staticConfig(cfg *config.Config) static.Config {
	return static.Config{
		Maps: cfg.Strings("static-map"), Maps2: cfg.Strings("static-map2"), Check: cfg.Strings("check-static"),
		Index: cfg.Strings("static-index"), SkipExt: cfg.Strings("static-skip-ext"), Safe: cfg.Strings("static-safe"),
		ExpType: cfg.Strings("static-expires-type"), ExpURI: cfg.Strings("static-expires-uri"),
		ExpFile: cfg.Strings("static-expires"), ExpFileMtime: cfg.Strings("static-expires-mtime"),
		ExpPath: cfg.Strings("static-expires-path-info"), ExpPathMtime: cfg.Strings("static-expires-path-info-mtime"),
		ExpURIMtime: cfg.Strings("static-expires-uri-mtime"), ExpTypeMtime: cfg.Strings("static-expires-type-mtime"),
		GzipAll: cfg.Bool("static-gzip-all"), GzipDirs: cfg.Strings("static-gzip-dir"), GzipExts: cfg.Strings("static-gzip-ext"),
		GzipRE:    cfg.Strings("static-gzip"),
		MimeFiles: cfg.Strings("mime-file"),
	}
}

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
