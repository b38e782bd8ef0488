package config

// Row builders keep the table readable: one line per option.
func opt(name string, k Kind, def, help string) Option {
	return Option{Name: name, Kind: k, Default: def, Help: help}
}

func ignored(name string, k Kind, note string) Option {
	return Option{Name: name, Kind: k, Status: Ignored, Note: note, Help: "accepted for compatibility; ignored"}
}

func notYet(name string, k Kind, def, help string) Option {
	return Option{Name: name, Kind: k, Default: def, Help: help, Status: NotYet}
}

func (o Option) short(c byte) Option      { o.Short = c; return o }
func (o Option) alias(a ...string) Option { o.Aliases = append(o.Aliases, a...); return o }
func (o Option) min(n int) Option         { o.Min, o.MinSet = n, true; return o }
func (o Option) clamp(n int) Option       { o.Clamp = n; return o }
func (o Option) note(s string) Option     { o.Note = s; return o }
func (o Option) status(s Status) Option   { o.Status = s; return o }

const pythonOnly = "an option of uWSGI's Python plugin; a Go app is linked into the binary"

// table is the option table. Keep it grouped by topic; Options() sorts.
var table = concat(coreOptions, processOptions, loggingOptions, compatOptions, laterOptions)

func concat(groups ...[]Option) []Option {
	var all []Option
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

var coreOptions = []Option{
	opt("socket", List, "", "bind to a UNIX/TCP socket speaking the uwsgi protocol (nginx uwsgi_pass)").short('s').alias("uwsgi-socket"),
	opt("http-socket", List, "", "bind to a UNIX/TCP socket speaking HTTP/1.1"),
	opt("http", List, "", "serve HTTP on this address").note("uWSGI starts an HTTP router process; uwsgo's workers serve the address themselves, as one more HTTP socket"),
	opt("http11-socket", List, "", "bind to a socket speaking HTTP/1.1 with keep-alive").note("the same as --http-socket, which keeps connections alive in uwsgo"),
	opt("http-socket-modifier1", Int, "11", "modifier1 of requests arriving on HTTP sockets").min(0).note("uWSGI's default is 0; 11 (Go) as the gccgo plugin needed, and 0 reaches the app too"),
	opt("http-socket-modifier2", Int, "0", "modifier2 of requests arriving on HTTP sockets").min(0),
	opt("protocol", String, "uwsgi", "protocol of --socket sockets: uwsgi or http").note("uwsgi and http (http11) only"),
	opt("goroutines", Int, "0", "goroutine loop engine: N cores (requests in flight) per worker").min(0),
	opt("threads", Int, "0", "the same as --goroutines in uwsgo").min(0).note("uWSGI threads; uwsgo serves them as goroutine cores"),
	opt("go-args", String, "", "arguments for the app, read with uwsgi.Args() (split like a shell)").alias("gccgo-args"),
	opt("buffer-size", Int, "4096", "largest request header / uwsgi packet, in bytes").short('b').min(0).clamp(65535),
	opt("listen", Int, "100", "listen queue (backlog) of every socket").short('l').min(0),
	opt("socket-timeout", Int, "4", "seconds to wait for each read of a request").short('z').min(0),
	opt("http-timeout", Int, "60", "seconds an HTTP request body and an idle keep-alive connection may take").min(0),
	opt("http-keepalive", OptString, "", "keep HTTP connections alive").note("always on in uwsgo; accepted"),
	opt("http-auto-chunked", Flag, "", "chunk streamed HTTP responses").note("always on in uwsgo for streamed responses; accepted"),
	opt("http-websockets", Flag, "", "allow websockets through the HTTP router").note("handlers can hijack the connection; accepted"),
	opt("limit-post", Int, "0", "refuse request bodies larger than this many bytes (413)").min(0),
	opt("max-vars", Int, "64", "uwsgi vars limit: at most min(4+1+4N, 256)/2 pairs per packet").short('v').min(1),
	opt("chmod-socket", OptString, "", "chmod unix sockets (bare: 666)").short('C'),
	opt("chown-socket", String, "", "chown unix sockets to user[:group]"),
	opt("abstract-socket", Flag, "", "make unix sockets abstract").short('a'),
	opt("reuse-port", Flag, "", "set SO_REUSEPORT on TCP sockets").alias("so-reuseport"),
	opt("strict", Flag, "", "refuse unknown keys in config files"),
	opt("set", List, "", "set an option or a placeholder: key=value").short('S'),
	opt("set-placeholder", List, "", "set a placeholder: key=value").alias("set-ph"),
	opt("ini", List, "", "load config from an ini file (file[:section])"),
	opt("yaml", List, "", "load config from a yaml file (file[:section])").short('y').alias("yml"),
	opt("json", List, "", "load config from a json file (file[:object])").short('j').alias("js"),
	opt("include", List, "", "load another config file, of any supported kind"),
	opt("help", Flag, "", "show this help and exit").short('h').alias("usage"),
	opt("version", Flag, "", "print the version and exit"),
	opt("chdir", String, "", "chdir to this directory before serving"),
	opt("env", List, "", "set an environment variable: KEY=VALUE"),
	opt("unenv", List, "", "unset an environment variable"),
	opt("add-header", List, "", "add a header to every response: \"Name: value\""),
	opt("need-app", Flag, "", "exit if no app is loaded").note("a uwsgo binary always has its app; accepted"),
	opt("lazy-apps", Flag, "", "load the app in each worker").note("always true in uwsgo: main() runs in every worker"),
}

var processOptions = []Option{
	opt("master", Flag, "", "enable the master process").short('M'),
	opt("processes", Int, "1", "number of worker processes").short('p').alias("workers").min(0),
	opt("reload-mercy", Int, "60", "seconds a graceful shutdown may wait for requests in flight").min(0).note("uWSGI 2.0 uses it only for daemons; uwsgo bounds SIGTERM and FIFO q with it"),
	opt("worker-reload-mercy", Int, "60", "seconds a retiring worker may take before it is killed").min(0),
	opt("die-on-term", Flag, "", "exit on SIGTERM").note("SIGTERM always stops gracefully in uwsgo; accepted"),
	opt("pidfile", String, "", "write the master's pid to this file"),
	opt("pidfile2", String, "", "write the master's pid to this file (after privileges drop)"),
	opt("vacuum", Flag, "", "remove unix sockets and pidfiles at exit"),
	opt("master-fifo", List, "", "master FIFO for one-letter commands"),
	opt("touch-reload", List, "", "graceful reload when this file is touched"),
	opt("touch-chain-reload", List, "", "chain reload when this file is touched"),
	opt("no-orphans", Flag, "", "workers die with their master").note("always true in uwsgo; accepted"),
	opt("check-interval", Int, "1", "master cycle, seconds").min(1).note("uwsgo's master checks every second; accepted"),
	opt("harakiri", Int, "0", "harakiri: cancel a request running longer than N seconds, then kill its worker").short('t').min(0).note("two stages: the request's context is cancelled and logged with its stack at the deadline; the worker is killed if it still runs after --harakiri-graceful-timeout (at least 1 s); per core with --goroutines"),
	opt("harakiri-verbose", Flag, "", "log every goroutine's stack at harakiri, not only the requests'"),
	opt("harakiri-graceful-timeout", Int, "0", "seconds between harakiri's two stages (at least 1 in uwsgo)").min(0),
	ignored("harakiri-graceful-signal", Int, "uwsgo's first harakiri stage cancels the request's context instead of sending a signal"),
	ignored("limit-as", Int, "the Go runtime reserves a large address space up front: an address-space limit would break it, not guard it; use --reload-on-rss"),
	opt("max-requests", Int, "0", "recycle a worker after N requests (replace, then retire)").short('R').min(0),
	opt("max-requests-delta", Int, "0", "add (worker id - 1) × N to --max-requests, so workers recycle at different times").min(0),
	opt("max-worker-lifetime", Int, "0", "recycle a worker after N seconds").min(0),
	opt("max-worker-lifetime-delta", Int, "0", "add (worker id - 1) × N seconds to --max-worker-lifetime").min(0),
	opt("min-worker-lifetime", Int, "10", "a worker lives at least N seconds before --max-requests recycles it").min(0),
	opt("reload-on-rss", Int, "0", "recycle a worker (replace, then retire) once its RSS reaches N MB, checked after each request").min(0).note("RSS is sampled once a second"),
	opt("evil-reload-on-rss", Int, "0", "kill a worker whose RSS reaches N MB (checked by the master every second)").min(0),
	opt("reload-on-exception", Flag, "", "recycle a worker after a handler panicked"),
	opt("cheaper", Int, "0", "adaptive workers: the fewest running (must be lower than --processes)").min(0),
	opt("cheaper-initial", Int, "", "adaptive workers running at start (default: --cheaper)").min(0),
	opt("cheaper-step", Int, "1", "adaptive workers started at once when all are busy").min(0),
	opt("cheaper-algo", String, "spare", "adaptive workers algorithm").note("spare only"),
	opt("cheaper-overload", Int, "3", "check cycles (seconds) of all-busy before starting workers, or of idleness before stopping one").min(0),
	opt("uid", String, "", "drop privileges to this user (name or number) after binding"),
	opt("gid", String, "", "drop privileges to this group (name or number) after binding"),
	opt("daemonize", String, "", "detach and log to this file").short('d').note("the binary restarts itself in a new session (Go cannot fork); logs to a file only, not to a UDP address"),
	opt("daemonize2", String, "", "detach and log to this file").note("the same as --daemonize"),
	opt("exit-on-reload", Flag, "", "stop gracefully when a reload is requested"),
	opt("thunder-lock", Flag, "", "serialize accept()").note("the kernel wakes one waiting accept per connection for Go's poller; accepted"),
	opt("auto-procname", Flag, "", "name processes \"uWSGI master\" and \"uWSGI worker N\" (what ps shows)"),
	opt("procname-prefix", String, "", "prefix every process name"),
	opt("procname-prefix-spaced", String, "", "prefix every process name, followed by a space"),
	opt("procname-append", String, "", "append to every process name"),
	opt("procname", String, "", "name of the worker processes (and of the master, unless --procname-master)"),
	opt("procname-master", String, "", "name of the master process"),
	opt("umask", String, "", "set the umask (octal) before any socket or file is created"),
	opt("max-fd", Int, "0", "raise the open files limit (RLIMIT_NOFILE) to N").min(0),
}

var loggingOptions = []Option{
	opt("disable-logging", Flag, "", "do not log requests").short('L'),
	opt("logto", String, "", "log to this file instead of stderr"),
	opt("logto2", String, "", "log to this file (after privileges drop)").note("the same as --logto in uwsgo"),
	opt("log-format", String, "", "request log line format with %(var) tokens").alias("logformat"),
	opt("log-x-forwarded-for", Flag, "", "log the X-Forwarded-For address instead of REMOTE_ADDR"),
	opt("memory-report", Flag, "", "add memory usage to request log lines").short('m'),
	opt("log-date", OptString, "", "prefix server log lines with the date (ctime, or this strftime format) and \" - \"").alias("logdate"),
	opt("log-4xx", Flag, "", "log 4xx responses even with --disable-logging"),
	opt("log-5xx", Flag, "", "log 5xx responses even with --disable-logging"),
	opt("log-slow", Int, "0", "log requests slower than N ms even with --disable-logging").min(0),
	opt("log-big", Int, "0", "log responses of N bytes or more even with --disable-logging").min(0),
	opt("log-zero", Flag, "", "log responses with an empty body even with --disable-logging"),
	opt("log-sendfile", Flag, "", "log static file responses even with --disable-logging"),
	opt("log-ioerror", Flag, "", "log requests whose body could not be read whole even with --disable-logging").note("uwsgo flags request bodies cut short on the uwsgi socket"),
	opt("logger", List, "", "add a logger: [NAME ]file:PATH | stdio | syslog[:IDENT[,FACILITY]] | socket:ADDR").note("the master writes every process's lines (uWSGI's log master); other logger plugins are not available"),
	opt("req-logger", List, "", "add a request logger (same syntax as --logger); request lines go only to these").alias("logger-req"),
	opt("log-route", List, "", "send server lines matching a regexp to a named logger only: NAME REGEXP").note("PCRE-style patterns (lookaround included) through regexp2"),
	opt("log-req-route", List, "", "send request lines matching a regexp to a named request logger: NAME REGEXP"),
	opt("log-encoder", List, "", "encode server lines: ENCODER[:LOGGER][ ARGS] (prefix, suffix, nl, format, json, gzip)"),
	opt("log-req-encoder", List, "", "encode request lines: ENCODER[:LOGGER][ ARGS]"),
	opt("log-maxsize", Int, "0", "rotate --logto (and file loggers) above N bytes: renamed FILE.UNIXTIME").min(0),
	opt("log-reopen", Flag, "", "reopen the log files on reload (logrotate)"),
	opt("touch-logreopen", List, "", "reopen the log files when this file is touched"),
	opt("log-master", Flag, "", "the master writes the workers' logs").note("workers write to the master's log file directly; accepted"),
	opt("ignore-sigpipe", Flag, "", "do not report SIGPIPE").note("Go ignores SIGPIPE on sockets; accepted"),
	opt("ignore-write-errors", Flag, "", "do not report write errors").note("accepted"),
	opt("disable-write-exception", Flag, "", "no exception on write errors").note("accepted"),
}

// compatOptions are accepted so that configs written for uWSGI and its
// language plugins run unchanged.
var compatOptions = []Option{
	ignored("plugin", List, "plugins are not loaded: the Go app and every uwsgo feature are in the binary").alias("plugins", "plugins-dir", "plugin-dir"),
	ignored("go-load", List, "the Go app is linked into this binary").alias("gccgo-load"),
	ignored("module", List, pythonOnly).short('w'),
	ignored("wsgi-file", List, pythonOnly).alias("file", "wsgi"),
	ignored("callable", String, pythonOnly),
	ignored("pythonpath", List, pythonOnly).alias("python-path", "pp"),
	ignored("home", String, pythonOnly).short('H').alias("virtualenv", "venv", "pyhome"),
	ignored("enable-threads", Flag, "Go always runs goroutines on threads").short('T'),
	ignored("single-interpreter", Flag, pythonOnly).short('i'),
	ignored("py-autoreload", Int, pythonOnly).alias("python-autoreload"),
	ignored("pymodule-alias", List, pythonOnly),
	ignored("mount", List, pythonOnly),
	ignored("manage-script-name", Flag, "SCRIPT_NAME mounts are not implemented; the app sees the full path"),
	ignored("optimize", Int, pythonOnly).short('O'),
	ignored("lazy", Flag, "deprecated in uWSGI; uwsgo always loads the app in each worker"),
	ignored("close-on-exec", Flag, "Go opens every descriptor close-on-exec"),
	ignored("reaper", Flag, "the master always reaps its children").short('r'),
	ignored("no-defer-accept", Flag, "uwsgo does not set TCP_DEFER_ACCEPT"),
	ignored("ksm", OptString, "kernel samepage merging is not used"),
	ignored("offload-threads", Int, "Go's sendfile path is the offload"),
	opt("post-buffering", Int, "0", "read a request body whole before the handler runs: in memory up to N bytes, in a temporary file above").min(0).note("the body is read before the request takes a core; chunked bodies still stream"),
	ignored("post-buffering-bufsize", Int, "the body is read with Go's buffered I/O"),
}

// laterOptions are uWSGI options that later work will implement.
var laterOptions = []Option{
	opt("hook-asap", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) as soon as the configuration is read (master)"),
	opt("hook-as-root", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) before dropping privileges (as root only)"),
	opt("hook-as-user", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) after dropping privileges"),
	opt("hook-pre-app", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) before the app is loaded (once, in the master)"),
	opt("hook-post-app", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) after the app is loaded (once, in the master)"),
	opt("hook-master-start", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) when the master has spawned its workers"),
	opt("hook-post-fork", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) in each worker as it starts"),
	opt("hook-accepting", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) in each worker once it accepts"),
	opt("hook-accepting1", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) in worker 1 once it accepts"),
	opt("hook-accepting-once", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) in each worker once it accepts, first spawn only"),
	opt("hook-accepting1-once", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) in worker 1 once it accepts, first spawn only"),
	opt("hook-as-user-atexit", List, "", "run a hook action (exec:, mkdir:, chdir:, print:, write:, unlink:...) when the instance exits"),
	opt("exec-asap", List, "", "run a shell command as soon as the configuration is read (master); failing stops the start"),
	opt("exec-as-root", List, "", "run a shell command before dropping privileges (as root only); failing stops the start"),
	opt("exec-as-user", List, "", "run a shell command after dropping privileges; failing stops the start"),
	opt("exec-pre-app", List, "", "run a shell command before the app is loaded (once, in the master); failing stops the start"),
	opt("exec-post-app", List, "", "run a shell command after the app is loaded (once, in the master); failing stops the start"),
	opt("exec-post-fork", List, "", "run a shell command in each worker as it starts; failing stops the start"),
	opt("exec-as-user-atexit", List, "", "run a shell command when the instance exits; failing stops the start"),
	opt("stats", String, "", "stats server address (TCP host:port or unix path): the JSON document, then close").alias("stats-server"),
	opt("stats-http", Flag, "", "serve the stats over HTTP"),
	opt("stats-minified", Flag, "", "minified stats JSON").alias("stats-min"),
	opt("stats-prometheus", String, "", "serve the same figures as Prometheus text over HTTP at this address").note("uwsgo's addition"),
	opt("cache2", List, "", "create a cache: name=,items=[,blocksize=,blocks=,keysize=,hashsize=,hash=,bitmap=1,purge_lru=1,lazy_expire=1,store=,...]").note("an unknown key is an error (uWSGI ignores it); node=/udp=/sync= replication is not supported"),
	opt("cache", Int, "0", "create the legacy cache \"default\" with N items (created before the --cache2 ones)").min(0),
	opt("cache-blocksize", Int, "65536", "block size (largest value) of the legacy cache").min(1),
	opt("cache-store", String, "", "back the legacy cache with this file: it survives restarts"),
	opt("cache-store-sync", Int, "0", "msync the cache store files every N seconds (0: at stop only)").min(0),
	opt("cache-expire-freq", Int, "3", "seconds between two runs of the cache sweeper").min(1),
	opt("cache-report-freed-items", Flag, "", "log how many expired items each sweep freed"),
	opt("cache-no-expire", Flag, "", "do not run the cache sweeper").note("expired items still read as missing in uwsgo"),
	opt("add-cache-item", List, "", "store an item at start: [CACHE ]KEY=VALUE"),
	opt("timer", List, "", "raise a uWSGI signal periodically: SIGNUM SECONDS").alias("signal-timer"),
	opt("rbtimer", List, "", "the same as --timer in uwsgo").alias("signal-rbtimer"),
	opt("cron", List, "", "run a command from the master: MINUTE HOUR DAY MONTH WEEKDAY COMMAND (-N = every N)"),
	opt("unique-cron", List, "", "like --cron, but not while the previous run is still running"),
	opt("cron2", List, "", "a command cron in key=value form: minute=,hour=,day=,month=,week=,unique= COMMAND"),
	opt("touch-signal", List, "", "raise a signal when a file is touched: FILE SIGNUM (polled every second)"),
	opt("fs-signal", List, "", "raise a signal when a path changes: PATH SIGNUM (inotify)"),
	opt("fs-reload", List, "", "graceful reload when a path changes (inotify)"),
	opt("fs-brutal-reload", List, "", "reload when a path changes").note("a graceful reload in uwsgo"),
	opt("signal-bufsize", Int, "64", "signals queued per worker before new ones are dropped").min(1).note("a queue length in uwsgo; uWSGI's is a socket buffer size in bytes"),
	opt("subscribe-to", List, "", "subscribe to a uWSGI router: [ADDR=]SERVER:KEY[,MODIFIER1]").alias("subscribe", "st").note("signed subscriptions (,SIGN) are not implemented"),
	opt("subscribe2", List, "", "subscribe to a router: server=...,key=...[,addr=][,weight=][,modifier1=][,modifier2=][,check=FILE]").note("sign=, sni_* and socket= are accepted and ignored"),
	opt("subscribe-freq", Int, "10", "seconds between subscription announcements").min(1),
	opt("subscription-tolerance", Int, "17", "a router's tolerance for missed announcements").min(0).note("accepted: the router applies it"),
	opt("subscribe-with-modifier1", Int, "0", "modifier1 announced by default").min(0),
	opt("weight", Int, "0", "weight announced to routers (0: the router uses 1)").min(0),
	opt("auto-weight", Flag, "", "announce processes × cores as the weight"),
	opt("unsubscribe-on-graceful-reload", Flag, "", "unsubscribe while a graceful reload runs"),
	notYet("route", List, "", "internal routing rule"),
	notYet("route-if", List, "", "internal routing rule with a condition"),
	notYet("route-if-not", List, "", "internal routing rule with a negated condition"),
	opt("static-map", List, "", "serve files under a mountpoint from a directory: MOUNT=DIR (first existing file wins; others reach the app)"),
	opt("static-map2", List, "", "like --static-map, with the whole request path appended to DIR"),
	opt("check-static", List, "", "serve a request path from this directory when the file exists"),
	opt("static-index", List, "", "index file names tried for a directory"),
	opt("static-skip-ext", List, "", "never serve files with this extension statically"),
	opt("static-safe", List, "", "allow serving files that resolve (symlinks) under this directory"),
	opt("static-expires-type", List, "", "Expires header for static files of a content type: TYPE=SECONDS"),
	opt("static-expires-uri", List, "", "Expires header for static files whose URI matches: REGEXP=SECONDS"),
	opt("static-gzip-all", Flag, "", "serve FILE.gz (Content-Encoding: gzip) when it exists and the client accepts gzip"),
	opt("static-gzip-dir", List, "", "like --static-gzip-all, for files under this directory"),
	opt("static-gzip-ext", List, "", "like --static-gzip-all, for files with this extension"),
	opt("attach-daemon", List, "", "run a command next to the workers: restarted when it exits, stopped at shutdown"),
	opt("attach-control-daemon", List, "", "like --attach-daemon, but the instance stops when the command dies"),
	opt("attach-daemon2", List, "", "attach a daemon: cmd=,pidfile=,daemonize=,stopsignal=,max_throttle=,control=,chdir=,touch="),
	opt("smart-attach-daemon", List, "", "watch a self-daemonizing command through its pidfile: PIDFILE COMMAND"),
	opt("smart-attach-daemon2", List, "", "run a foreground command, write its pidfile and watch it: PIDFILE COMMAND"),
	opt("mime-file", List, "", "add the types of a mime.types file (\"type ext ext...\") for static files").alias("mimefile"),
	notYet("mule", List, "", "add a mule"),
	notYet("mules", Int, "0", "add N mules").min(0),
	notYet("spooler", List, "", "run a spooler").short('Q'),
	notYet("emperor", List, "", "run the Emperor: supervise vassal instances"),
	notYet("sharedarea", Int, "0", "shared memory area").short('A'),
	notYet("xml", List, "", "load config from an xml file").short('x'),
	notYet("cgi-mode", Flag, "", "CGI-style status lines").short('c'),
}
