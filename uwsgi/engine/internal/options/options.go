package options

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/static"
)

// Options are the engine's settings, read once from the configuration.
type Options struct {
	Cores            int
	ThunderLock      bool // take turns to accept (see admit.go)
	BufferSize       int
	MaxVars          int
	Backlog          int
	SocketTimeout    time.Duration
	HTTPTimeout      time.Duration
	LimitPost        int64
	ReloadMercy      time.Duration
	DisableLogging   bool
	LogFormat        string
	LogXForwardedFor bool
	MemoryReport     bool
	HTTPModifier1    int
	LogTo            string
	Sockets          socket.SocketOptions

	Master           bool
	Processes        int
	WorkerMercy      time.Duration
	TouchReload      []string
	TouchChainReload []string
	MasterFIFO       []string
	PidFile          string
	PidFile2         string
	Vacuum           bool
	UID, GID         string

	Harakiri          time.Duration
	HarakiriVerbose   bool
	HarakiriGrace     time.Duration
	MaxRequests       uint64
	MaxRequestsDelta  uint64
	MinWorkerLifetime time.Duration
	MaxWorkerLifetime time.Duration
	LifetimeDelta     time.Duration
	ReloadOnException bool
	ReloadOnRSS       uint64   // bytes
	EvilReloadOnRSS   uint64   // bytes
	ReloadOnAS        uint64   // bytes of VSZ; 0 when below the Go baseline (addrspace.go)
	EvilReloadOnAS    uint64   // bytes of VSZ, checked by the master
	LimitAS           uint64   // RLIMIT_AS in bytes, 0: unset
	StartWarnings     []string // logged once at start (address-space options ignored, cheaper algorithm fallback)

	SignalBufsize   int
	Cheaper         int // adaptive workers: the minimum running (0 = off)
	CheaperInitial  int
	CheaperStep     int
	CheaperOverload int
	CheaperAlgo     string // spare, backlog, busyness or manual
	Busyness        busynessOptions

	AddHeaders    [][2]string // --add-header, name and value
	PostBuffering int64       // bytes of request body buffered in memory before the handler; 0 = stream
	Static        static.Config
	ForceLog      forceLog       // what is logged even with --disable-logging
	Cfg           *config.Config // for what compiles per worker (routing chains)
	MaxConns      int            // --max-conns: open connections per worker (0 = no limit)
	QueueTimeout  time.Duration  // --queue-timeout: longest wait for a core before a 503
	ProxyProtocol bool           // --http-enable-proxy-protocol
	ReuseRequests bool           // --reuse-requests: pooled *http.Request objects (see bridge.Server)
}

// forceLog lists the requests uWSGI logs even with --disable-logging.
type forceLog struct {
	c4xx, c5xx, zero, sendfile, ioerror bool
	slow                                time.Duration
	big                                 int64
}

// Match reports whether a request must be logged anyway.
func (f *forceLog) Match(res *bridge.Result, elapsed time.Duration) bool {
	return f.c4xx && res.Status >= 400 && res.Status < 500 || f.c5xx && res.Status >= 500 ||
		f.slow > 0 && elapsed >= f.slow || f.big > 0 && res.BodySize >= f.big ||
		f.zero && res.BodySize == 0 || f.sendfile && res.Static || f.ioerror && res.IOError
}

// ReadOptions extracts the engine's settings from cfg.
func ReadOptions(cfg *config.Config) (Options, error) {
	o := Options{
		Cores:            cfg.Int("goroutines"),
		BufferSize:       positive(cfg, "buffer-size"),
		MaxVars:          cfg.Int("max-vars"),
		Backlog:          cfg.Int("listen"),
		SocketTimeout:    seconds(positive(cfg, "socket-timeout")),
		HTTPTimeout:      seconds(positive(cfg, "http-timeout")),
		LimitPost:        int64(cfg.Int("limit-post")),
		ReloadMercy:      seconds(cfg.Int("reload-mercy")),
		DisableLogging:   cfg.Bool("disable-logging"),
		LogFormat:        cfg.String("log-format"),
		LogXForwardedFor: cfg.Bool("log-x-forwarded-for"),
		MemoryReport:     cfg.Bool("memory-report"),
		HTTPModifier1:    cfg.Int("http-socket-modifier1"),
		AddHeaders:       splitHeaders(cfg.Strings("add-header")),
		PostBuffering:    int64(cfg.Int("post-buffering")),
		Static:           staticConfig(cfg),
		Cfg:              cfg,
		MaxConns:         cfg.Int("max-conns"),
		QueueTimeout:     time.Duration(cfg.Int("queue-timeout")) * time.Millisecond,
		ThunderLock:      !cfg.IsSet("thunder-lock") || cfg.Bool("thunder-lock"),
		ProxyProtocol:    cfg.Bool("http-enable-proxy-protocol"),
		ReuseRequests:    cfg.Bool("reuse-requests"),
		ForceLog: forceLog{c4xx: cfg.Bool("log-4xx"), c5xx: cfg.Bool("log-5xx"), zero: cfg.Bool("log-zero"),
			sendfile: cfg.Bool("log-sendfile"), ioerror: cfg.Bool("log-ioerror"),
			slow: time.Duration(cfg.Int("log-slow")) * time.Millisecond, big: int64(cfg.Int("log-big"))},
		LogTo:             cfg.String("logto"),
		Master:            cfg.Bool("master"),
		Processes:         cfg.Int("processes"),
		WorkerMercy:       seconds(positive(cfg, "worker-reload-mercy")),
		TouchReload:       cfg.Strings("touch-reload"),
		TouchChainReload:  cfg.Strings("touch-chain-reload"),
		MasterFIFO:        cfg.Strings("master-fifo"),
		PidFile:           cfg.String("pidfile"),
		PidFile2:          cfg.String("pidfile2"),
		Vacuum:            cfg.Bool("vacuum"),
		UID:               cfg.String("uid"),
		GID:               cfg.String("gid"),
		Harakiri:          seconds(cfg.Int("harakiri")),
		HarakiriVerbose:   cfg.Bool("harakiri-verbose"),
		HarakiriGrace:     max(seconds(cfg.Int("harakiri-graceful-timeout")), time.Second),
		MaxRequests:       uint64(cfg.Int("max-requests")),
		MaxRequestsDelta:  uint64(cfg.Int("max-requests-delta")),
		MinWorkerLifetime: seconds(cfg.Int("min-worker-lifetime")),
		MaxWorkerLifetime: seconds(cfg.Int("max-worker-lifetime")),
		LifetimeDelta:     seconds(cfg.Int("max-worker-lifetime-delta")),
		ReloadOnException: cfg.Bool("reload-on-exception"),
		SignalBufsize:     cfg.Int("signal-bufsize"),
		ReloadOnRSS:       uint64(cfg.Int("reload-on-rss")) << 20,
		EvilReloadOnRSS:   uint64(cfg.Int("evil-reload-on-rss")) << 20,
		ReloadOnAS:        uint64(cfg.Int("reload-on-as")) << 20,
		EvilReloadOnAS:    uint64(cfg.Int("evil-reload-on-as")) << 20,
	}
	o.StartWarnings = checkAddressSpace(cfg, &o)
	o.Processes = max(o.Processes, 1)
	if cfg.IsSet("subscribe-to") || cfg.IsSet("subscribe2") {
		o.Master = true // subscriptions are the master's job, as in uWSGI
	}
	if err := readCheaper(cfg, &o); err != nil {
		return o, err
	}
	if o.Processes > 1 || len(o.TouchReload) > 0 || len(o.TouchChainReload) > 0 || len(o.MasterFIFO) > 0 {
		o.Master = true // as uWSGI, options that need a master enable it
	}
	if o.Cores == 0 {
		o.Cores = cfg.Int("threads")
	}
	if o.Cores < 1 {
		o.Cores = 1
	}
	switch p := cfg.String("protocol"); p {
	case "", "uwsgi", "http", "http11":
	default:
		return o, fmt.Errorf("uwsgi: --protocol %s is not supported by uwsgo (uwsgi, http)", p)
	}
	if m := o.HTTPModifier1; m != 0 && m != 11 {
		return o, fmt.Errorf("uwsgi: --http-socket-modifier1 %d: uwsgo serves the Go app on modifier1 11 and 0 only", m)
	}
	o.Sockets = socket.SocketOptions{
		Backlog:   o.Backlog,
		ChmodSet:  cfg.IsSet("chmod-socket"),
		Chmod:     cfg.String("chmod-socket"),
		Chown:     cfg.String("chown-socket"),
		ReusePort: cfg.Bool("reuse-port"),
		Abstract:  cfg.Bool("abstract-socket"),
		KeepAlive: cfg.Bool("so-keepalive"),
	}
	if !cfg.Bool("no-defer-accept") {
		o.Sockets.DeferAccept = max(cfg.Int("socket-timeout"), 1)
	}
	return o, nil
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// positive is the value of the Int option name, or, when it is not above
// 0, the option table's default (0 means "the default" for these, as in
// uWSGI): the table is the one place defaults are written.
func positive(cfg *config.Config, name string) int {
	if v := cfg.Int(name); v > 0 {
		return v
	}
	o, _ := config.Lookup(name)
	n, _ := strconv.Atoi(o.Default)
	return n
}

// readCheaper reads the adaptive-worker options with uWSGI's checks.
func readCheaper(cfg *config.Config, o *Options) error {
	o.Cheaper = cfg.Int("cheaper")
	if o.Cheaper == 0 {
		return nil
	}
	if o.Cheaper >= o.Processes {
		return fmt.Errorf("uwsgi: invalid cheaper value: must be lower than processes (%d >= %d)", o.Cheaper, o.Processes)
	}
	o.Master = true
	o.CheaperInitial = o.Cheaper
	if cfg.IsSet("cheaper-initial") {
		o.CheaperInitial = min(max(cfg.Int("cheaper-initial"), o.Cheaper), o.Processes)
	}
	o.CheaperStep = max(cfg.Int("cheaper-step"), 1)
	o.CheaperOverload = max(cfg.Int("cheaper-overload"), 1)
	o.CheaperAlgo = cfg.String("cheaper-algo")
	switch o.CheaperAlgo {
	case "spare", "backlog", "busyness", "manual":
	default: // uWSGI falls back the same way
		o.StartWarnings = append(o.StartWarnings, fmt.Sprintf("uwsgi: unable to find requested cheaper algorithm %q (uwsgo has spare, backlog, busyness and manual), falling back to spare", o.CheaperAlgo))
		o.CheaperAlgo = "spare"
	}
	o.Busyness = readBusyness(cfg)
	return nil
}

// splitHeaders turns "Name: value" lines into pairs (a line without a colon
// is a header with an empty value).
func splitHeaders(lines []string) [][2]string {
	var out [][2]string
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ":")
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, [2]string{k, strings.TrimSpace(v)})
		}
	}
	return out
}

// busynessOptions are the cheaper-busyness-* options, with uWSGI's defaults.
type busynessOptions struct {
	Max, Min          uint64 // percent of the check period spent in requests
	Multiplier        uint64 // idle periods (× cheaper-overload s) before a worker is stopped
	Penalty           uint64 // added to the multiplier when a stopped worker had to come back soon
	Verbose           bool
	BacklogAlert      int    // start emergency workers when the listen queue is longer
	BacklogMultiplier uint64 // the multiplier while emergency workers run
	BacklogStep       int    // emergency workers started at once
	BacklogNonzero    uint64 // seconds of a non-empty queue that start an emergency worker
}

func readBusyness(cfg *config.Config) busynessOptions {
	def := func(name string) int { return positive(cfg, name) }
	return busynessOptions{
		Max: uint64(def("cheaper-busyness-max")), Min: uint64(def("cheaper-busyness-min")),
		Multiplier: uint64(def("cheaper-busyness-multiplier")), Penalty: uint64(def("cheaper-busyness-penalty")),
		Verbose:      cfg.Bool("cheaper-busyness-verbose"),
		BacklogAlert: def("cheaper-busyness-backlog-alert"), BacklogMultiplier: uint64(def("cheaper-busyness-backlog-multiplier")),
		BacklogStep: def("cheaper-busyness-backlog-step"), BacklogNonzero: uint64(def("cheaper-busyness-backlog-nonzero")),
	}
}

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
