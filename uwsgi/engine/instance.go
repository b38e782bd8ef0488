package engine

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/emperor"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/hooks"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/master"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/tlsconf"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/worker"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"github.com/uwsgo/uwsgo/uwsgi/stats"
)

// Run serves app as configured by cfg until a signal stops it, and returns
// the process exit status. In a process spawned by a master it runs as that
// worker; with --master (or more than one process) it becomes the master;
// otherwise it serves alone.
func Run(cfg *config.Config, app worker.App) int {
	opts, err := options.ReadOptions(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	wi, isWorker, err := handoff.RoleFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := applyEnvironment(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, check := range []func(*config.Config) error{process.ApplyUmask, hooks.CheckHooks, worker.CheckRoutes, tlsconf.CheckTLS} {
		if err := check(cfg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if isWorker {
		return worker.RunWorker(cfg, opts, app, wi)
	}
	// state is what the master image this one replaces left (a binary
	// upgrade); nil at a first start.
	state, err := handoff.TakeMasterState()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if state == nil {
		if err := master.BinaryPatch(cfg, opts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if d := firstNonEmpty(cfg.String("daemonize"), cfg.String("daemonize2")); d != "" && state == nil {
		exited, err := process.Daemonize(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if exited {
			return 0
		}
	}
	log, err := logger.OpenLogger(opts.LogTo)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uwsgi: %v\n", err)
		return 1
	}
	defer log.Close()
	log.Date = logger.LogDatePrefix(cfg)
	var lm *master.LogMaster
	if master.WantLogMaster(cfg) {
		if lm, err = master.StartLogMaster(cfg, log, opts.LogTo, state); err != nil {
			log.Printf("%v", err)
			return 1
		}
	}
	// The service managers' variables leave the environment before any hook
	// or child could see them (notify.go, activation.go).
	notify := master.NewNotifier(log)
	if _, err := socket.ActivatedSockets(); err != nil {
		log.Printf("%v", err)
		return 1
	}
	if state == nil {
		for _, warning := range cfg.Warnings() {
			log.Printf("%s", warning)
		}
		logStartup(log, opts)
		for _, w := range opts.StartWarnings {
			log.Printf("%s", w)
		}
		process.ApplyMaxFD(cfg, log)
		options.ApplyLimitAS(opts, log)
		if !hooks.RunFatalHooks(cfg, log, "asap") {
			return 1
		}
	}
	if len(cfg.Strings("emperor")) > 0 {
		return runEmperor(cfg, log, notify)
	}
	if opts.Master {
		return master.RunMaster(cfg, opts, log, notify, lm, state)
	}
	return runSingle(cfg, opts, app, log, notify)
}

// runSingle serves in this one process: no master, no respawn.
func runSingle(cfg *config.Config, opts options.Options, app worker.App, log *logger.Logger, notify *master.Notifier) int {
	defer process.StartReaper(log)()
	notify.Starting()
	go master.ObeyEmperorAlone(notify.Vassal().Commands(), log)
	sockets, err := socket.BindAll(cfg, opts.Sockets, log)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	board, err := scoreboard.Create(1, opts.Cores)
	if err != nil {
		log.Printf("uwsgi: %v", err)
		return 1
	}
	tlsCtx, err := worker.ProcessTLS(cfg, opts, app, log) // before privileges are dropped
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	list, err := caches.Caches(cfg)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	caches.SetCacheLoggers(list, log)
	stopCaches := make(chan struct{})
	caches.StartCacheDuties(cfg, log, stopCaches)
	defer func() { close(stopCaches); caches.SyncCaches(list, log) }()
	if !hooks.DropPrivilegesWithHooks(cfg, opts, log) || !hooks.RunFatalHooks(cfg, log, "pre-app") || !hooks.RunFatalHooks(cfg, log, "post-app") {
		return 1
	}
	defer func() { _ = hooks.RunHooks(cfg, log, "as-user-atexit") }()
	process.ApplyProcTitle(cfg, "worker", 1)
	daemons, err := master.StartDaemons(cfg, log, opts.ReloadMercy)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	defer daemons.Stop()
	w, err := worker.NewWorker(1, opts, app, log, board, 0)
	if err != nil {
		log.Printf("uwsgi: %v", err)
		return 1
	}
	w.TLS = tlsCtx
	master.SetUpSlot(board.Worker(0), 1, 0, 1, 0)
	board.Worker(0).PID.Store(int64(os.Getpid()))
	servers, err := master.StartStatsServers(cfg, log, func() *stats.Snapshot { return master.Snapshot(board, sockets, 1) })
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	w.CatchSignals()
	w.Start(sockets)
	board.Worker(0).Accepting.Store(1)
	log.Printf("spawned uWSGI worker 1 (and the only) (pid: %d, cores: %d)", w.PID, w.Cores.Len())
	if !hooks.RunAccepting(cfg, log, 1, true) {
		return 1
	}
	// The first heartbeat goes before the loyalty message: the Emperor
	// watches the heartbeats of a loyal vassal from then on.
	if tick, stop := notify.Vassal().HeartbeatTick(cfg.Int("heartbeat")); tick != nil {
		defer stop()
		go func() {
			for range tick {
				notify.Vassal().Heartbeat()
			}
		}()
	}
	notify.ReadyNow("")
	if tick, stop := notify.WatchdogTick(); tick != nil {
		defer stop()
		go func() {
			for range tick {
				notify.Ping()
			}
		}()
	}
	code := w.Loop(nil)
	notify.Stopping()
	return code
}

func logStartup(log *logger.Logger, o options.Options) {
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	log.Printf("*** Starting uwsgo %s (uWSGI-compatible, %s) ***", config.Version, runtime.Version())
	log.Printf("detected number of CPU cores: %d", runtime.NumCPU())
	log.Printf("current working directory: %s", wd)
	log.Printf("detected binary path: %s", exe)
	log.Printf("your server socket listen backlog is limited to %d connections", o.Backlog)
	log.Printf("your mercy for graceful operations on workers is %d seconds", int(o.WorkerMercy.Seconds()))
	if o.Cores > 1 {
		log.Printf("*** Operational MODE: goroutines *** (%d cores per worker)", o.Cores)
	} else if o.Processes > 1 {
		log.Printf("*** Operational MODE: preforking ***")
	} else {
		log.Printf("*** Operational MODE: single process ***")
	}
}

// applyEnvironment runs --chdir, --env and --unenv. In a master they reach
// the workers before their main() runs; in a single process main() has run
// already (see docs/README.md).
func applyEnvironment(cfg *config.Config) error {
	for _, kv := range cfg.Strings("env") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("uwsgi: invalid env %q: want KEY=VALUE", kv)
		}
		os.Setenv(k, v)
	}
	for _, k := range cfg.Strings("unenv") {
		os.Unsetenv(k)
	}
	if dir := cfg.String("chdir"); dir != "" {
		if err := os.Chdir(dir); err != nil {
			return fmt.Errorf("uwsgi: chdir(): %v", err)
		}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// runEmperor runs this process as the Emperor (package uwsgi/emperor).
func runEmperor(cfg *config.Config, log *logger.Logger, notify *master.Notifier) int {
	o, err := emperor.OptionsFrom(cfg)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	o.Output = log.Output()
	if notify.Sd != nil {
		o.Notify = notify.Send
	}
	return emperor.Run(o, log.Printf)
}
