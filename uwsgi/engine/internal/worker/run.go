package worker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/hooks"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// RunWorker is a worker process spawned by a master: inherited sockets,
// scoreboard and control channel, then serve until told to stop.
func RunWorker(cfg *config.Config, opts options.Options, app App, wi handoff.WorkerIdentity) int {
	limitProcs(opts)
	log := logger.NewLogger(os.Stderr)
	log.Date = logger.LogDatePrefix(cfg)
	logger.WorkerLogging(log)
	defer log.Close()
	sockets, err := socket.InheritSockets(cfg, wi.Sockets)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	lay := handoff.Layout{Sockets: wi.Sockets}
	board, err := scoreboard.Open(os.NewFile(uintptr(lay.Scoreboard()), "scoreboard"))
	if err != nil {
		log.Printf("uwsgi: worker %d: %v", wi.ID, err)
		return 1
	}
	ctrl := os.NewFile(uintptr(lay.Control()), "control")
	list, err := caches.Caches(cfg)
	if err != nil {
		log.Printf("uwsgi: worker %d: %v", wi.ID, err)
		return 1
	}
	caches.SetCacheLoggers(list, log)
	w, err := NewWorker(wi.ID, opts, app, log, board, wi.Slot)
	if err != nil {
		log.Printf("uwsgi: %v", err)
		return 1
	}
	w.ctrl = ctrl
	if w.TLS, err = ProcessTLS(cfg, opts, app, log); err != nil {
		log.Printf("%v", err)
		return 1
	}
	process.ApplyProcTitle(cfg, "worker", wi.ID)
	if !hooks.RunFatalHooks(cfg, log, "post-fork") {
		return destroyInstance()
	}
	w.sigq = make(chan uint8, max(opts.SignalBufsize, 1))
	go w.runSignals()
	w.CatchSignals()
	w.Start(sockets)
	board.Worker(wi.Slot).Accepting.Store(1)
	if !hooks.RunAccepting(cfg, log, wi.ID, board.Worker(wi.Slot).RespawnCount.Load() == 1) {
		return destroyInstance()
	}
	signals.attach(w)
	if err := w.sendCtrl(handoff.Msg{Kind: handoff.MsgReady}); err != nil {
		log.Printf("uWSGI worker %d: cannot reach the master: %v", w.ID, err)
		return 1
	}
	return w.Loop(ctrl)
}

// Start launches one server goroutine per socket.
func (w *Worker) Start(sockets []*socket.Socket) {
	w.errc = make(chan error, len(sockets))
	if w.opts.MemoryReport || w.opts.ReloadOnRSS > 0 || w.opts.ReloadOnAS > 0 {
		go w.sampleMemory()
	}
	if w.opts.Harakiri > 0 {
		go w.watchHarakiri()
	}
	if w.opts.Cheaper > 0 && (w.opts.CheaperAlgo == "backlog" || w.opts.CheaperAlgo == "busyness") {
		go w.publishQueue()
	}
	for _, s := range sockets {
		run := w.serverFor(s)
		w.running.Add(1)
		go func() {
			defer w.running.Done()
			if err := run(); err != nil {
				w.errc <- fmt.Errorf("socket %s: %w", s.Name, err)
			}
		}()
	}
}

// CatchSignals starts catching the worker's signals, once: before it
// accepts, so that a SIGHUP sent while a request is in flight is a graceful
// stop, never Go's default exit.
func (w *Worker) CatchSignals() chan os.Signal {
	if w.sigc == nil {
		w.sigc = make(chan os.Signal, 4)
		signal.Notify(w.sigc, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	}
	return w.sigc
}

// Loop waits for signals (and, in a spawned worker, the master's end of
// the control channel) and returns the exit status.
func (w *Worker) Loop(ctrl *os.File) int {
	sigc := w.CatchSignals()
	defer signal.Stop(sigc)
	masterGone := make(chan struct{})
	if ctrl != nil {
		go func() { w.readCtrl(ctrl); close(masterGone) }()
	}
	spawned := ctrl != nil // by a master; nil: serving alone
	for {
		select {
		case err := <-w.errc:
			w.log.Printf("uwsgi: %v", err)
			w.stopNow()
			return 1
		case <-masterGone:
			w.log.Printf("uWSGI worker %d screams: UAAAAAAH my master disconnected: i will kill myself !!!", w.ID)
			w.stopNow()
			return handoff.ExitEnd
		case sig := <-sigc:
			if code, done := w.onSignal(sig.(syscall.Signal), spawned); done {
				return code
			}
		}
	}
}

// onSignal handles one signal; done says the process should exit with
// code. spawned: the worker was spawned by a master (else it serves alone).
func (w *Worker) onSignal(sig syscall.Signal, spawned bool) (code int, done bool) {
	switch {
	case sig == syscall.SIGHUP && spawned:
		w.log.Printf("Gracefully killing worker %d (pid: %d)...", w.ID, w.PID)
		w.stopGracefully(w.opts.WorkerMercy)
		return handoff.ExitReload, true
	case sig == syscall.SIGHUP:
		w.log.Printf("SIGHUP received: a graceful reload needs --master; ignored in single-process mode")
	case sig == syscall.SIGUSR1 || sig == syscall.SIGUSR2:
		w.log.Printf("worker %d (pid: %d): %d requests, %d of %d cores busy", w.ID, w.PID, w.Requests(), w.Cores.Busy(), w.Cores.Len())
	case spawned:
		w.stopNow()
		return handoff.ExitEnd, true
	case sig == syscall.SIGTERM:
		w.log.Printf("SIGTERM received: graceful shutdown (waiting up to %d seconds for requests in flight)", int(w.opts.ReloadMercy.Seconds()))
		w.stopGracefully(w.opts.ReloadMercy)
		w.log.Printf("goodbye to uWSGI.")
		return 0, true
	default:
		w.log.Printf("SIGINT/SIGQUIT received...killing workers...")
		w.stopNow()
		w.log.Printf("goodbye to uWSGI.")
		return 0, true
	}
	return 0, false
}

// serverFor returns the serving loop of one socket.
func (w *Worker) serverFor(s *socket.Socket) func() error {
	var turn *atomic.Uint32
	if w.ctrl != nil && w.opts.ThunderLock && w.opts.Processes > 1 {
		turn = w.board.AcceptLock(s.Index)
	}
	s.Admit(w.Cores, turn)
	if s.Kind == handoff.KindHTTP {
		hs := newHTTPServer(w, s)
		w.http = append(w.http, hs)
		return hs.run
	}
	us := newUwsgiServer(w, s)
	w.uwsgi = append(w.uwsgi, us)
	return us.run
}

// stopNow closes every listener and connection at once.
func (w *Worker) stopNow() {
	for _, hs := range w.http {
		hs.stopping.Store(true)
		_ = hs.sock.Close()
	}
	for _, us := range w.uwsgi {
		us.Close()
	}
}

// stopGracefully stops accepting and waits, up to mercy, for the requests
// in flight; idle keep-alive connections are closed at once.
func (w *Worker) stopGracefully(mercy time.Duration) {
	w.board.Worker(w.slot).Accepting.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), mercy)
	defer cancel()
	var wg sync.WaitGroup
	for _, hs := range w.http {
		wg.Go(func() { hs.shutdown(ctx) })
	}
	for _, us := range w.uwsgi {
		wg.Go(func() { us.shutdown(ctx) })
	}
	wg.Wait()
	w.running.Wait()
}

// sampleMemory refreshes the worker's RSS and VSZ in the scoreboard every
// second (--memory-report): the request log reads them without a syscall.
func (w *Worker) sampleMemory() {
	slot := w.board.Worker(w.slot)
	for {
		rss, vsz := process.ProcessMemory(w.PID)
		slot.RSS.Store(rss)
		slot.VSZ.Store(vsz)
		time.Sleep(time.Second)
	}
}

// publishQueue puts the number of requests waiting for a core into the
// worker's slot four times a second: a uwsgo worker accepts connections
// before it has a free core, so they wait here rather than in the
// kernel's listen queue, and the backlog algorithms count both.
func (w *Worker) publishQueue() {
	slot := w.board.Worker(w.slot)
	for {
		slot.Queued.Store(uint64(max(w.Cores.Waiting.Load(), 0)))
		time.Sleep(250 * time.Millisecond)
	}
}

// readCtrl reads the master's messages until the master goes away.
func (w *Worker) readCtrl(ctrl io.Reader) {
	sc := bufio.NewScanner(ctrl)
	for sc.Scan() {
		switch m := handoff.ParseMsg(sc.Text()); m.Kind {
		case handoff.MsgResend:
			go signals.resend()
		case handoff.MsgSig:
			w.deliverSignal(m.Signum)
		}
	}
}

// destroyInstance stops the whole instance after a fatal hook failed in a
// worker, as uWSGI does: the worker asks its master to stop (SIGINT).
func destroyInstance() int {
	_ = syscall.Kill(os.Getppid(), syscall.SIGINT)
	return 1
}
