package engine

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/emperor"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"github.com/uwsgo/uwsgo/uwsgi/stats"
)

// Run serves app as configured by cfg until a signal stops it, and returns
// the process exit status. In a process spawned by a master it runs as that
// worker; with --master (or more than one process) it becomes the master;
// otherwise it serves alone.
func Run(cfg *config.Config, app App) int {
	opts, err := readOptions(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	wi, isWorker, err := roleFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := applyEnvironment(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, check := range []func(*config.Config) error{applyUmask, checkHooks, checkRoutes, checkTLS} {
		if err := check(cfg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if isWorker {
		return runWorker(cfg, opts, app, wi)
	}
	if os.Getenv(envMasterState) == "" {
		if err := binaryPatch(cfg, opts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if d := firstNonEmpty(cfg.String("daemonize"), cfg.String("daemonize2")); d != "" && os.Getenv(envMasterState) == "" {
		exited, err := daemonize(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if exited {
			return 0
		}
	}
	log, err := OpenLogger(opts.LogTo)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uwsgi: %v\n", err)
		return 1
	}
	defer log.Close()
	log.date = logDatePrefix(cfg)
	if wantLogMaster(cfg) {
		if logMasterState, err = startLogMaster(cfg, log, opts.LogTo); err != nil {
			log.Printf("%v", err)
			return 1
		}
	}
	// The service managers' variables leave the environment before any hook
	// or child could see them (notify.go, activation.go).
	notify := newNotifier(log)
	if _, err := activatedSockets(); err != nil {
		log.Printf("%v", err)
		return 1
	}
	if os.Getenv(envMasterState) == "" {
		for _, warning := range cfg.Warnings() {
			log.Printf("%s", warning)
		}
		logStartup(log, opts)
		for _, w := range opts.StartWarnings {
			log.Printf("%s", w)
		}
		applyMaxFD(cfg, log)
		applyLimitAS(opts, log)
		if !runFatalHooks(cfg, log, "asap") {
			return 1
		}
	}
	if len(cfg.Strings("emperor")) > 0 {
		return runEmperor(cfg, log, notify)
	}
	if opts.Master {
		return runMaster(cfg, opts, log, notify)
	}
	return runSingle(cfg, opts, app, log, notify)
}

// runSingle serves in this one process: no master, no respawn.
func runSingle(cfg *config.Config, opts Options, app App, log *Logger, notify *notifier) int {
	defer startReaper(log)()
	notify.starting()
	go obeyEmperorAlone(notify.vassal().commands(), log)
	sockets, err := bindAll(cfg, opts.Sockets, log)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	board, err := scoreboard.Create(1, opts.Cores)
	if err != nil {
		log.Printf("uwsgi: %v", err)
		return 1
	}
	tlsCtx, err := processTLS(cfg, opts, app, log) // before privileges are dropped
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	list, err := Caches(cfg)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	setCacheLoggers(list, log)
	stopCaches := make(chan struct{})
	startCacheDuties(cfg, log, stopCaches)
	defer func() { close(stopCaches); syncCaches(list, log) }()
	if !dropPrivilegesWithHooks(cfg, opts, log) || !runFatalHooks(cfg, log, "pre-app") || !runFatalHooks(cfg, log, "post-app") {
		return 1
	}
	defer func() { _ = runHooks(cfg, log, "as-user-atexit") }()
	applyProcTitle(cfg, "worker", 1)
	daemons, err := startDaemons(cfg, log, opts.ReloadMercy)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	defer daemons.stop()
	w, err := newWorker(1, opts, app, log, board, 0)
	if err != nil {
		log.Printf("uwsgi: %v", err)
		return 1
	}
	w.tls = tlsCtx
	board.Worker(0).ID.Store(1)
	board.Worker(0).PID.Store(int64(os.Getpid()))
	board.Worker(0).LastSpawn.Store(time.Now().Unix())
	board.Worker(0).RespawnCount.Store(1)
	servers, err := startStatsServers(cfg, log, func() *stats.Snapshot { return snapshot(board, sockets, nil, 1) })
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	defer func() {
		for _, s := range servers {
			s.close()
		}
	}()
	w.catchSignals()
	w.start(sockets)
	board.Worker(0).Accepting.Store(1)
	log.Printf("spawned uWSGI worker 1 (and the only) (pid: %d, cores: %d)", w.pid, w.cores.Len())
	for _, phase := range []string{"accepting", "accepting1", "accepting-once", "accepting1-once"} {
		if !runFatalHooks(cfg, log, phase) {
			return 1
		}
	}
	// The first heartbeat goes before the loyalty message: the Emperor
	// watches the heartbeats of a loyal vassal from then on.
	if tick, stop := notify.vassal().heartbeatTick(cfg.Int("heartbeat")); tick != nil {
		defer stop()
		go func() {
			for range tick {
				notify.vassal().heartbeat()
			}
		}()
	}
	notify.readyNow("")
	if tick, stop := notify.watchdogTick(); tick != nil {
		defer stop()
		go func() {
			for range tick {
				notify.ping()
			}
		}()
	}
	code := w.loop(nil)
	notify.stopping()
	return code
}

func logStartup(log *Logger, o Options) {
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
func runEmperor(cfg *config.Config, log *Logger, notify *notifier) int {
	o, err := emperor.OptionsFrom(cfg)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	o.Output = log.Output()
	if notify.sd != nil {
		o.Notify = notify.send
	}
	return emperor.Run(o, log.Printf)
}
