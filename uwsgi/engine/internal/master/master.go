package master

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
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
	"github.com/uwsgo/uwsgo/uwsgi/proto"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"github.com/uwsgo/uwsgo/uwsgi/stats"
)

// master supervises the worker processes: it holds the listen sockets for
// the life of the instance, spawns, respawns, reloads and retires workers.
// Everything it owns is touched by its loop goroutine only; other
// goroutines talk to it through events.
type master struct {
	cfg       *config.Config
	opts      options.Options
	log       *logger.Logger
	logMaster *LogMaster                // nil without log routing options
	state     *handoff.MasterState      // left by the image this one replaced; nil at a first start
	remaps    map[syscall.Signal]string // UNIX signals rebound by unix_signal hooks
	exe       string
	exeID     socket.FileID
	sockets   []*socket.Socket
	board     *scoreboard.Board
	// cacheStop ends the cache sweeper and store syncs.
	cacheStop chan struct{}
	daemons   *daemonSupervisor
	sockLost  map[string]bool // unix socket paths that could not be bound again yet
	children  map[int]*child  // by pid
	slotUsed  []bool
	gen       uint64 // the generation serving now
	lastGen   uint64 // the newest generation started
	events    chan event
	reload    *rollout
	queued    *rollout // a reload asked for while one runs
	stopping  *stop
	throttle  respawnThrottle
	touch     map[string]socket.FileID
	stats     []*statsServer
	// replacing maps a starting worker's pid to the worker it replaces
	// (recycling: replace, then retire).
	replacing    map[int]*child
	sys          sysEnv
	cheap        cheaperState
	subs         []subscription
	subCycle     int
	sig          masterSignals
	fs           *fsWatcher
	fsActions    map[int]*fsAction
	touchSignals []touchSignal
	notify       *Notifier // systemd and the uWSGI Emperor
	emperorCmds  <-chan byte
	tls          *tlsMaster     // nil without HTTPS sockets
	sigc         chan os.Signal // the master's signals, caught before setup
}

// child is one worker process as the master sees it.
type child struct {
	id, slot     int
	gen          uint64
	pid          int
	proc         workerProc
	ctrl         *os.File // the master's end of the control channel
	ctrlOwed     []byte   // what must still go to ctrl once the worker reads (sendCtrl)
	spawned      time.Time
	ready        bool
	retiring     bool
	recycling    bool      // a replacement is starting
	wantsRecycle bool      // asked to be recycled; waits for a slot or a reload's end
	killed       bool      // harakiri killed it
	deadline     time.Time // SIGKILL after this, once retiring or stopping
}

type eventKind uint8

const (
	evExit eventKind = iota
	evReady
	evRespawn
	evRecycle
	evCtrl
	evFS
)

type event struct {
	kind  eventKind
	c     *child
	state *os.ProcessState
	id    int         // evRespawn: the worker id to spawn
	gen   uint64      // evRespawn: its generation
	msg   handoff.Msg // evCtrl: what the worker sent
}

// stop is a shutdown in progress.
type stop struct {
	graceful bool
	deadline time.Time
}

// RunMaster is the master process's life.
func RunMaster(cfg *config.Config, opts options.Options, log *logger.Logger, notify *Notifier, lm *LogMaster, state *handoff.MasterState) int {
	// Workers die with the thread that started them (Pdeathsig), and a
	// binary re-exec ends every thread but the calling one: start them all,
	// and exec, from this one locked thread.
	runtime.LockOSThread()
	process.ApplyProcTitle(cfg, "master", 0)
	m := newMaster(cfg, opts, log, realSys)
	m.logMaster, m.state = lm, state
	// Catch the signals before setup: one arriving while the workers start
	// (a unit stopped while it starts) then waits for the loop instead of
	// killing the master by its default action.
	signal.Notify(m.sigc, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTSTP)
	defer signal.Stop(m.sigc)
	defer process.StartReaper(log)()
	m.notify = notify
	m.emperorCmds = m.notify.Vassal().Commands()
	if code, ok := m.setup(); !ok {
		return code
	}
	defer m.cleanup()
	return m.Loop()
}

func newMaster(cfg *config.Config, opts options.Options, log *logger.Logger, sys sysEnv) *master {
	return &master{cfg: cfg, opts: opts, log: log, sys: sys, children: map[int]*child{}, sigc: make(chan os.Signal, 16),
		events: make(chan event, 64), replacing: map[int]*child{}, cheap: cheaperState{cheaped: map[int]bool{}}}
}

func (m *master) startSubscriptions() error {
	var err error
	if m.subs, err = subscriptions(m.cfg); err != nil {
		return err
	}
	m.announce(proto.Subscribe)
	return nil
}

func (m *master) startStats() error {
	var err error
	m.stats, err = StartStatsServers(m.cfg, m.log, func() *stats.Snapshot {
		return Snapshot(m.board, m.sockets, m.opts.Processes)
	})
	return err
}

// Loop runs until the instance stops.
func (m *master) Loop() int {
	sigc := m.sigc
	m.remaps = hooks.SignalRemaps(m.cfg)
	for sig := range m.remaps {
		signal.Notify(sigc, sig)
	}
	fifo := m.openFIFOs()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	watchdog, stopWatchdog := m.notify.WatchdogTick()
	defer stopWatchdog()
	heartbeat, stopHeartbeat := m.notify.Vassal().HeartbeatTick(m.cfg.Int("heartbeat"))
	defer stopHeartbeat()
	for {
		select {
		case <-watchdog:
			m.notify.Ping()
		case <-heartbeat:
			m.notify.Vassal().Heartbeat()
		case b, ok := <-m.emperorCmds:
			m.onEmperor(b, ok)
		case sig := <-sigc:
			m.onSignal(sig.(syscall.Signal))
		case b := <-fifo:
			m.onFIFO(b)
		case ev := <-m.events:
			m.onEvent(ev)
		case <-tick.C:
			m.onTick()
		}
		if m.stopping != nil && len(m.children) == 0 {
			m.log.Printf("goodbye to uWSGI.")
			return 0
		}
	}
}

func (m *master) onSignal(sig syscall.Signal) {
	if fn, ok := m.remaps[sig]; ok {
		m.log.Printf("signal %d: running %s (unix_signal hook)", sig, fn)
		switch fn {
		case "gracefully_kill_them_all":
			m.shutdown(true)
		case "kill_them_all", "end_me":
			m.shutdown(false)
		case "grace_them_all", "reap_them_all":
			m.requestReload(false, fmt.Sprintf("signal %d", sig))
		}
		return
	}
	switch sig {
	case syscall.SIGHUP:
		m.requestReload(false, "SIGHUP")
	case syscall.SIGTERM:
		m.shutdown(true)
	case syscall.SIGINT, syscall.SIGQUIT:
		m.shutdown(false)
	case syscall.SIGUSR1:
		m.logCounters()
	case syscall.SIGUSR2:
		m.logStatus()
	case syscall.SIGTSTP:
		m.log.Printf("SIGTSTP received: pause/resume is not supported by uwsgo; ignored")
	}
}

// shutdown stops the instance: graceful lets requests in flight finish
// within --reload-mercy; brutal kills the workers at once.
func (m *master) shutdown(graceful bool) {
	if m.stopping != nil && (graceful || !m.stopping.graceful) {
		return
	}
	if m.stopping == nil {
		m.announce(proto.Unsubscribe)
		m.notify.Stopping()
	}
	if graceful {
		m.log.Printf("graceful shutdown triggered...")
		m.stopping = &stop{graceful: true, deadline: time.Now().Add(m.opts.ReloadMercy)}
		m.signalAll(syscall.SIGHUP, m.stopping.deadline)
		return
	}
	m.log.Printf("SIGINT/SIGQUIT received...killing workers...")
	m.stopping = &stop{deadline: time.Now().Add(3 * time.Second)}
	m.signalAll(syscall.SIGINT, m.stopping.deadline)
}

// signalAll sends sig to every worker and sets their kill deadline.
func (m *master) signalAll(sig syscall.Signal, deadline time.Time) {
	for _, c := range m.children {
		c.retiring = true
		c.deadline = deadline
		_ = c.proc.Signal(sig)
	}
}

func (m *master) killAll(sig syscall.Signal) {
	for _, c := range m.children {
		_ = c.proc.Signal(sig)
	}
}

// onTick runs once a second: touch files, mercy deadlines, rollout timeouts.
func (m *master) onTick() {
	now := time.Now()
	for _, c := range m.children {
		if !c.deadline.IsZero() && now.After(c.deadline) {
			m.log.Printf("worker %d (pid: %d) is taking too much time to die...NO MERCY !!!", c.id, c.pid)
			_ = c.proc.Signal(syscall.SIGKILL)
			c.deadline = time.Time{}
		}
	}
	m.checkHealth(now)
	m.checkCheaper()
	m.subscribeTick()
	m.flushOwed()
	m.signalTick(now)
	if m.reload != nil && now.After(m.reload.deadline) {
		m.failRollout(fmt.Sprintf("its workers were not accepting after %v", m.opts.WorkerMercy))
	}
	m.checkTouch()
	m.checkUnixSockets()
	m.checkListenQueues(now)
}

func (m *master) logCounters() {
	total := m.board.TotalRequests()
	m.log.Printf("*** instance: %d requests ***", total)
	for _, c := range m.children {
		m.log.Printf("worker %d (pid: %d): %d requests (%d since spawn)", c.id, c.pid,
			m.board.Worker(c.slot).Requests.Load(), m.board.Worker(c.slot).DeltaRequests.Load())
	}
}

func (m *master) logStatus() {
	for _, c := range m.children {
		state := "idle"
		if !c.ready {
			state = "starting"
		} else if c.retiring {
			state = "retiring"
		}
		m.log.Printf("worker %d (pid: %d, generation %d) is %s", c.id, c.pid, c.gen, state)
	}
}

// cleanup runs when the master exits (not across a re-exec).
func (m *master) cleanup() {
	m.daemons.Stop()
	_ = hooks.RunHooks(m.cfg, m.log, "as-user-atexit")
	if m.cacheStop != nil {
		close(m.cacheStop)
	}
	caches.SyncCaches(caches.All(), m.log)
	for _, s := range m.stats {
		s.Close()
	}
	if !m.opts.Vacuum {
		return
	}
	for _, s := range m.sockets {
		if s.Network == "unix" && len(s.Addr) > 0 && s.Addr[0] != '@' && !s.Activated {
			if err := os.Remove(s.Addr); err == nil {
				m.log.Printf("VACUUM: unix socket %s removed.", s.Addr)
			}
		}
	}
	for _, p := range []string{m.opts.PidFile, m.opts.PidFile2} {
		if p != "" && os.Remove(p) == nil {
			m.log.Printf("VACUUM: pidfile removed.")
		}
	}
}

func (m *master) writePidfiles() {
	for _, p := range []string{m.opts.PidFile, m.opts.PidFile2} {
		if p == "" {
			continue
		}
		m.log.Printf("writing pidfile to %s", p)
		if err := os.WriteFile(p, fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644); err != nil {
			m.log.Printf("uwsgi: unable to write pidfile %s: %v", p, err)
		}
	}
}

// onEmperor obeys one command of the uWSGI Emperor (ok false: it is gone).
func (m *master) onEmperor(b byte, ok bool) {
	if !ok {
		m.emperorCmds = nil
		if m.stopping == nil || m.stopping.graceful {
			m.log.Printf("lost connection with my emperor !!!")
			m.shutdown(false)
		}
		return
	}
	m.log.Printf("received message %d from emperor", b)
	switch b {
	case emperorStop:
		m.emperorCmds = nil
		m.shutdown(false)
	case emperorReload:
		m.requestReload(false, "the Emperor")
	case emperorGracefulStop:
		m.emperorCmds = nil
		m.shutdown(true)
	}
}
