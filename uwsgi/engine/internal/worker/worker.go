package worker

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/cores"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/tlsconf"
	"github.com/uwsgo/uwsgo/uwsgi/reqlog"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"github.com/uwsgo/uwsgo/uwsgi/static"
	"github.com/valyala/fasthttp"
)

// Worker is one process serving requests: its cores, its socket servers and
// its request accounting in the scoreboard.
type Worker struct {
	ID      int
	PID     int
	opts    options.Options
	app     App
	Cores   *cores.Cores
	log     *logger.Logger
	format  *reqlog.Format
	board   *scoreboard.Board
	slot    int
	http    []*httpServer
	uwsgi   []*uwsgiServer
	errc    chan error
	running sync.WaitGroup

	controls     []bridge.Control // one per core, for harakiri and SetHarakiri
	ctrl         *os.File         // the master's control channel; nil alone
	started      time.Time
	recycleAsked atomic.Bool
	ctrlMu       sync.Mutex
	ctrlStalled  atomic.Bool // a control message waits for room in the channel (see raiseCtrl)
	sigq         chan uint8
	sigc         chan os.Signal       // see catchSignals
	static       *static.Server       // nil without static-map/check-static
	chains       routeChains          // the routing chains (nil tables without rules)
	conns        *socket.ConnLimit    // --max-conns
	overloaded   atomic.Bool          // answering 503 for --queue-timeout (logged once)
	TLS          *tlsconf.TLSContexts // the HTTPS sockets' contexts; nil without
}

// NewWorker makes worker id (slot: its scoreboard slot) serving app.
func NewWorker(id int, opts options.Options, app App, log *logger.Logger, board *scoreboard.Board, slot int) (*Worker, error) {
	f, err := reqlog.Compile(opts.LogFormat)
	if err != nil {
		return nil, err
	}
	f.MemoryReport = opts.MemoryReport
	st, err := static.New(opts.Static)
	if err != nil {
		return nil, err
	}
	chains, err := compileChains(opts.Cfg)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		ID: id, PID: os.Getpid(), opts: opts, app: app, log: log, format: f,
		board: board, slot: slot, Cores: cores.NewCores(opts.Cores, board, slot), started: time.Now(), static: st, chains: chains,
		conns: &socket.ConnLimit{Max: int64(opts.MaxConns), Log: log},
	}
	w.initControls()
	return w, nil
}

// Requests is how many requests this worker finished.
func (w *Worker) Requests() uint64 { return w.board.Worker(w.slot).DeltaRequests.Load() }

// reqSize is what the log says of the request packet.
type reqSize struct {
	vars, bytes int
	modifier1   uint8
}

// finishRequest accounts a request in the scoreboard and writes its log line.
func (w *Worker) finishRequest(ctx *fasthttp.RequestCtx, core int, start time.Time, res *bridge.Result, size func() reqSize) {
	hcount, hbytes := responseHeaderSize(&ctx.Response.Header)
	elapsed, n := w.account(start, res, hbytes)
	if res.NoLog || w.opts.DisableLogging && !w.opts.ForceLog.Match(res, elapsed) {
		return
	}
	total := w.board.TotalRequests() // read only for the log: see scoreboard/counters.go
	var addrBuf [64]byte
	h := &ctx.Request.Header
	sz := size()
	rec := reqlog.Record{
		PID:                  w.PID,
		WorkerID:             w.ID,
		AppRequests:          n,
		TotalRequests:        total,
		Start:                start,
		Duration:             elapsed,
		Method:               h.Method(),
		URI:                  h.RequestURI(),
		Proto:                h.Protocol(),
		Host:                 h.Host(),
		UserAgent:            h.UserAgent(),
		Referer:              h.Referer(),
		Status:               res.Status,
		BodySize:             res.BodySize,
		HeaderCount:          hcount,
		HeaderBytes:          hbytes,
		Switches:             1,
		Core:                 core,
		RequestContentLength: int64(max(h.ContentLength(), 0)),
		Modifier1:            sz.modifier1,
		Vars:                 sz.vars,
		PacketSize:           sz.bytes,
	}
	if w.opts.MemoryReport {
		slot := w.board.Worker(w.slot)
		rec.RSS, rec.VSZ = slot.RSS.Load(), slot.VSZ.Load()
	}
	rec.RemoteAddr = socket.RemoteIP(addrBuf[:0], ctx.Conn(), ctx.RemoteAddr())
	if w.opts.LogXForwardedFor {
		if xff := h.Peek("X-Forwarded-For"); len(xff) > 0 {
			rec.RemoteAddr = xff
		}
	}
	w.log.Request(w.format, &rec)
}

// account counts a finished request in the scoreboard (and asks for a
// recycle when one is due); it returns the request's duration and the
// worker's request number. It writes the worker's own slot only.
func (w *Worker) account(start time.Time, res *bridge.Result, hbytes int) (elapsed time.Duration, n uint64) {
	elapsed = time.Since(start)
	slot := w.board.Worker(w.slot)
	n = slot.CountRequest()
	us := uint64(elapsed.Microseconds())
	slot.RunningTime.Add(us)
	slot.AvgRT.Store((slot.AvgRT.Load() + us) / 2)
	slot.TX.Add(uint64(res.BodySize) + uint64(hbytes))
	if res.Panicked {
		slot.Exceptions.Add(1)
	}
	if why := w.shouldRecycle(res.Panicked); why != "" {
		w.askRecycle(why)
	}
	return elapsed, n
}

// httpVarsSize estimates what an HTTP request would take as uwsgi vars: the
// slots (two per pair) and bytes uWSGI reports in "{N vars in B bytes}".
func httpVarsSize(h *fasthttp.RequestHeader, modifier1 uint8) reqSize {
	const fixedPairs, fixedBytes = 10, 160
	s := reqSize{2 * fixedPairs, fixedBytes + 2*len(h.RequestURI()), modifier1}
	for k, v := range h.All() {
		s.vars += 2
		s.bytes += 4 + 5 + len(k) + len(v)
	}
	return s
}

// responseHeaderSize counts the response headers and their bytes, status
// line and final CRLF included, as uWSGI logs them.
func responseHeaderSize(h *fasthttp.ResponseHeader) (count, size int) {
	size = len("HTTP/1.1 200 OK\r\n") + 2
	for k, v := range h.All() {
		count++
		size += len(k) + len(v) + 4
	}
	return count, size
}
