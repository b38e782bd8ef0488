package worker

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/routing"
	"github.com/uwsgo/uwsgo/uwsgi/static"
	"github.com/valyala/fasthttp"
)

// routeEntries reads the options of a routing chain ("" = request) in
// the order they were given.
func routeEntries(cfg *config.Config, chain string) []routing.Entry {
	var entries []routing.Entry
	for _, it := range cfg.Ordered(routing.ChainOptions(chain)...) {
		entries = append(entries, routing.Entry{Option: it.Name, Value: it.Value, Source: it.Source.String()})
	}
	return entries
}

// routeChains are the compiled chains of a worker.
type routeChains struct {
	request, response, errors, final *routing.Table
	collect                          []headerVar // collect-header / pull-header
}

// headerVar copies a response header into a var of the response chains.
type headerVar struct {
	header, name string
	pull         bool // remove the header from the response too
}

func compileChains(cfg *config.Config) (routeChains, error) {
	var rc routeChains
	var err error
	if cfg == nil {
		return rc, nil
	}
	for _, c := range []struct {
		name string
		dst  **routing.Table
	}{{"", &rc.request}, {"response", &rc.response}, {"error", &rc.errors}, {"final", &rc.final}} {
		if *c.dst, err = routing.Compile(routeEntries(cfg, c.name)); err != nil {
			return rc, err
		}
	}
	for _, it := range cfg.Ordered("collect-header", "pull-header") {
		h, v, ok := strings.Cut(strings.TrimSpace(it.Value), " ")
		if !ok || h == "" || strings.TrimSpace(v) == "" {
			return rc, fmt.Errorf("uwsgi: invalid --%s %q (%s): want HEADER VAR", it.Name, it.Value, it.Source)
		}
		rc.collect = append(rc.collect, headerVar{h, strings.TrimSpace(v), it.Name == "pull-header"})
	}
	return rc, nil
}

// CheckRoutes refuses a bad rule at start, naming it.
func CheckRoutes(cfg *config.Config) error {
	_, err := compileChains(cfg)
	return err
}

// afterApp runs the error chain (status 400 or more), the response chain
// (both only on responses not yet written) and the final chain.
func (w *Worker) afterApp(ctx *fasthttp.RequestCtx, vars bridge.VarsSource, res *bridge.Result) {
	rc := &w.chains
	if !res.Streamed && !res.Hijacked {
		if rc.errors != nil && ctx.Response.StatusCode() >= 400 {
			w.runChain(rc.errors, ctx, vars, res)
		}
		if rc.response != nil {
			w.runChain(rc.response, ctx, vars, res)
		}
	}
	if rc.final != nil {
		w.runChain(rc.final, ctx, vars, nil)
	}
}

func (w *Worker) runChain(t *routing.Table, ctx *fasthttp.RequestCtx, vars bridge.VarsSource, res *bridge.Result) {
	rr := routeReqPool.Get().(*routeReq)
	rr.w, rr.ctx, rr.vars = w, ctx, vars
	for _, c := range w.chains.collect {
		if v := ctx.Response.Header.Peek(c.header); len(v) > 0 {
			rr.extra = append(rr.extra, [2]string{c.name, string(v)})
			if c.pull {
				ctx.Response.Header.Del(c.header)
			}
		}
	}
	if t.Run(rr) == routing.Done && res != nil {
		res.Status, res.BodySize = ctx.Response.StatusCode(), int64(len(ctx.Response.Body()))
	}
	rr.release()
}

// routeReq is a request as the routing rules see it.
type routeReq struct {
	w       *Worker
	ctx     *fasthttp.RequestCtx
	vars    bridge.VarsSource
	all     map[string]string // every CGI variable, built on the first need
	extra   [][2]string       // addvar
	del     []string          // delheader, applied to the app's response
	store   *cacheStore       // cachestore, applied to the app's response
	noLog   bool              // donotlog:
	addrBuf [64]byte
}

var routeReqPool = sync.Pool{New: func() any { return new(routeReq) }}

// runRoutes applies the request chain; done reports that a rule answered.
func (w *Worker) runRoutes(ctx *fasthttp.RequestCtx, vars bridge.VarsSource) (*routeReq, bool) {
	rr := routeReqPool.Get().(*routeReq)
	rr.w, rr.ctx, rr.vars = w, ctx, vars
	return rr, w.chains.request.Run(rr) == routing.Done
}

func (rr *routeReq) release() {
	rr.w, rr.ctx, rr.vars, rr.all = nil, nil, nil, nil
	rr.extra, rr.del, rr.store, rr.noLog = rr.extra[:0], rr.del[:0], nil, false
	routeReqPool.Put(rr)
}

// finish applies delheader and cachestore to the app's response.
func (rr *routeReq) finish(res *bridge.Result) {
	res.NoLog = res.NoLog || rr.noLog
	for _, h := range rr.del {
		rr.ctx.Response.Header.Del(h)
	}
	if st := rr.store; st != nil && !res.Streamed && !res.Hijacked && rr.ctx.Response.StatusCode() == http.StatusOK {
		if c, err := caches.LookupCache(st.cache); err == nil {
			if err := c.Update(st.key, rr.ctx.Response.Body(), time.Duration(st.expires)*time.Second); err != nil {
				rr.w.log.Printf("route cachestore %q: %v", st.key, err)
			}
		}
	}
}

type cacheStore struct {
	cache, key string
	expires    int
}

// CacheStore implements routing.Request.
func (rr *routeReq) CacheStore(cache, key string, expires int) {
	rr.store = &cacheStore{cache, key, expires}
}

// RPC implements routing.Request: a function registered in this process.
func (rr *routeReq) RPC(name string, args []string) ([]byte, error) {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return CallRPC("", name, time.Second, b...)
}

// varsSource adds the addvar variables to what the app sees in uwsgi.Vars.
func (rr *routeReq) varsSource() bridge.VarsSource {
	if len(rr.extra) == 0 {
		return rr.vars
	}
	return extraVars{rr.vars, append([][2]string(nil), rr.extra...)}
}

type extraVars struct {
	base  bridge.VarsSource
	extra [][2]string
}

func (e extraVars) AppendVars(ctx *fasthttp.RequestCtx, m map[string]string) {
	e.base.AppendVars(ctx, m)
	for _, kv := range e.extra {
		m[kv[0]] = kv[1]
	}
}

// Var implements routing.Request.
func (rr *routeReq) Var(name string) []byte {
	h := &rr.ctx.Request.Header
	switch name {
	case "PATH_INFO":
		return rr.ctx.Path()
	case "REQUEST_URI":
		return h.RequestURI()
	case "QUERY_STRING":
		return rr.ctx.URI().QueryString()
	case "HTTP_HOST":
		return h.Host()
	case "REQUEST_METHOD":
		return h.Method()
	case "HTTP_USER_AGENT":
		return h.UserAgent()
	case "HTTP_REFERER":
		return h.Referer()
	case "HTTP_AUTHORIZATION":
		return h.Peek("Authorization")
	case "REMOTE_ADDR":
		return socket.RemoteIP(rr.addrBuf[:0], rr.ctx.Conn(), rr.ctx.RemoteAddr())
	}
	for _, kv := range rr.extra {
		if kv[0] == name {
			return []byte(kv[1])
		}
	}
	if rr.all == nil {
		rr.all = map[string]string{}
		rr.vars.AppendVars(rr.ctx, rr.all)
	}
	return []byte(rr.all[name])
}

// Query implements routing.Request.
func (rr *routeReq) Query(name string) []byte { return rr.ctx.QueryArgs().Peek(name) }

// Cookie implements routing.Request.
func (rr *routeReq) Cookie(name string) []byte { return rr.ctx.Request.Header.Cookie(name) }

// Rewrite implements routing.Request.
func (rr *routeReq) Rewrite(path, query string) {
	uri := path
	if query != "" {
		uri += "?" + query
	}
	rr.ctx.Request.SetRequestURI(uri)
	rr.all = nil
}

// AddVar implements routing.Request.
func (rr *routeReq) AddVar(name, value string) { rr.extra = append(rr.extra, [2]string{name, value}) }

// AddHeader implements routing.Request.
func (rr *routeReq) AddHeader(name, value string) { rr.ctx.Response.Header.Add(name, value) }

// DelHeader implements routing.Request.
func (rr *routeReq) DelHeader(name string) {
	rr.ctx.Response.Header.Del(name)
	rr.del = append(rr.del, name)
}

// Respond implements routing.Request.
func (rr *routeReq) Respond(status int, location, body string) {
	resp := &rr.ctx.Response
	if status == 0 {
		rr.ctx.SetConnectionClose()
		resp.SetStatusCode(http.StatusNoContent)
		return
	}
	resp.SetStatusCode(status)
	if location != "" {
		resp.Header.Set("Location", location)
	}
	if body != "" {
		resp.Header.SetContentType("text/plain; charset=utf-8")
		resp.SetBodyString(body)
	}
}

// ServeFile implements routing.Request (the static: action). A path that
// climbs with ".." (from a $1 of the request, say) is refused.
func (rr *routeReq) ServeFile(path string) {
	for _, seg := range strings.Split(filepath.ToSlash(path), "/") {
		if seg == ".." {
			static.Forbidden(rr.ctx)
			return
		}
	}
	rr.w.static.ServeFile(rr.ctx, path)
}

// CacheGet implements routing.Request.
func (rr *routeReq) CacheGet(name, key string) ([]byte, bool) {
	c, err := caches.LookupCache(name)
	if err != nil {
		return nil, false
	}
	return c.Get(key)
}

// Signal implements routing.Request.
func (rr *routeReq) Signal(n uint8) {
	if err := RaiseSignal(n); err != nil {
		rr.w.log.Printf("route signal %d: %v", n, err)
	}
}

// Log implements routing.Request.
func (rr *routeReq) Log(line string) { rr.w.log.Printf("%s", line) }

// DoNotLog leaves the request out of the request log (donotlog:).
func (rr *routeReq) DoNotLog() { rr.noLog = true }
