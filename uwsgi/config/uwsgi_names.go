package config

import "strings"

// uwsgiName is one option of uWSGI's own tables (uwsgi_names_gen.go).
type uwsgiName struct {
	plugin string
	name   string
	kind   Kind
	short  byte
}

// A rule says how uwsgo treats a uWSGI option it does not implement.
type rule struct {
	status Status
	quiet  bool // Ignored without a warning: the option only tunes a part uwsgo does not run
	note   string
}

// Reasons, shared by many options.
const (
	whyRouter    = "uwsgo is the application server, not one of uWSGI's routers: keep real uWSGI (or nginx, HAProxy) as the router in front of uwsgo's --socket"
	whyHTTPRtr   = "it tunes uWSGI's separate HTTP router process; uwsgo's workers serve --http themselves"
	whyTLS       = "uwsgo does not terminate TLS: put nginx or a load balancer in front and use --http-socket or --socket behind it"
	whyEmperor   = "the Emperor is not implemented: run one uwsgo binary per app under systemd (docs/deploy.md)"
	whyJail      = "Go cannot fork into jails, namespaces or cgroups after start: use systemd's sandboxing or a container"
	whyLegion    = "Legion clustering is not implemented: use keepalived or your orchestrator"
	whyCommand   = "it is a uWSGI command (it acts, then exits), not a setting: use the shell instead (kill -HUP $(cat PIDFILE), uwsgo --help)"
	whyCall      = "it calls C symbols of the uWSGI binary: do it in Go, in main() before uwsgi.Run()"
	whyLang      = "an option of a uWSGI language or request plugin; a Go app is linked into the binary"
	whyPusher    = "stats pushers are not implemented: scrape --stats-prometheus or read --stats"
	whyAlarm     = "alarms are not implemented: nothing is raised; watch the log or --stats-prometheus"
	whyMetric    = "uWSGI's metrics subsystem is not implemented: --stats and --stats-prometheus export uwsgo's figures"
	whySpoolTune = "it tunes the spooler or the mules, which uwsgo does not run"
	whyNotRun    = "the spooler and mules are not implemented: uwsgo starts without them (run background work in goroutines of the app)"
	whyMount     = "mounting filesystems belongs to systemd or the container, before uwsgo starts"
	whyWait      = "not implemented: order start-up with systemd (After=, ExecStartPre=) or the container's entrypoint"
	whySocket    = "this listener protocol is not implemented: use --socket (uwsgi) or --http-socket"
	whyGoSched   = "the Go runtime schedules goroutines itself: use --goroutines for concurrency"
	whyKernel    = "not set by uwsgo: use systemd (Nice=, CPUAffinity=, LimitNPROC=, MemoryLock=) or the shell"
	whyRouteSubj = "this routing subject is not implemented: use route-if with a var (route-if = equal:${REMOTE_USER};x ...)"
	whyPrivilege = "not implemented, and ignoring a privilege option would be unsafe: use --uid/--gid (dropped after binding)"
)

// exactRules classify single uWSGI options by name.
var exactRules = map[string]rule{
	// listeners
	"suwsgi-socket": {Refused, false, whyTLS}, "ssl-socket": {Refused, false, whyTLS}, "https-socket": {Refused, false, whyTLS},
	"https-socket-modifier1": {Refused, false, whyTLS}, "https-socket-modifier2": {Refused, false, whyTLS},
	"fastcgi-socket": {Refused, false, whySocket}, "fastcgi-nph-socket": {Refused, false, whySocket},
	"fastcgi-modifier1": {Refused, false, whySocket}, "fastcgi-modifier2": {Refused, false, whySocket},
	"scgi-socket": {Refused, false, whySocket}, "scgi-nph-socket": {Refused, false, whySocket},
	"scgi-modifier1": {Refused, false, whySocket}, "scgi-modifier2": {Refused, false, whySocket},
	"raw-socket": {Refused, false, whySocket}, "raw-modifier1": {Refused, false, whySocket}, "raw-modifier2": {Refused, false, whySocket},
	"puwsgi-socket": {Refused, false, whySocket}, "socket-protocol": {Refused, false, "per-socket protocols are not implemented: use --socket for uwsgi and --http-socket for HTTP"},
	"shared-socket":            {Refused, false, "shared sockets (bound before privileges drop, referenced as =N) are not implemented: name the address in --socket/--http-socket"},
	"undeferred-shared-socket": {Refused, false, "shared sockets are not implemented: name the address in --socket/--http-socket"},
	"map-socket":               {Refused, false, "all workers accept on every socket in uwsgo; run one instance per socket instead"},
	"freebind":                 {Ignored, false, "IP_FREEBIND is not set: bind addresses that exist"},
	"tcp-nodelay":              {Ignored, false, "Go sets TCP_NODELAY on every TCP connection"},
	"so-send-timeout":          {Ignored, false, "writes are bounded by the handler's context and --http-timeout"}, "socket-send-timeout": {Ignored, false, "writes are bounded by the handler's context and --http-timeout"},
	"so-write-timeout": {Ignored, false, "writes are bounded by the handler's context and --http-timeout"}, "socket-write-timeout": {Ignored, false, "writes are bounded by the handler's context and --http-timeout"},
	"socket-sndbuf": {Ignored, false, "the kernel's socket buffer sizes are kept"}, "socket-rcvbuf": {Ignored, false, "the kernel's socket buffer sizes are kept"},
	"shutdown-sockets": {Ignored, false, "sockets are closed at exit"},
	"tcp-fast-open":    {Ignored, false, "TCP_FASTOPEN is not set"}, "tcp-fastopen": {Ignored, false, "TCP_FASTOPEN is not set"},
	"tcp-fast-open-client": {Ignored, false, "TCP_FASTOPEN is not set"}, "tcp-fastopen-client": {Ignored, false, "TCP_FASTOPEN is not set"},
	"enable-proxy-protocol": {Ignored, false, "use --http-enable-proxy-protocol (HTTP sockets)"},
	// harakiri and workers
	"harakiri-queue-threshold": {Ignored, false, "not implemented: harakiri looks at each request"},
	"harakiri-no-arh":          {Ignored, false, "uwsgo has no after-request hooks"}, "no-harakiri-arh": {Ignored, false, "uwsgo has no after-request hooks"},
	"no-harakiri-after-req-hook": {Ignored, false, "uwsgo has no after-request hooks"},
	"backtrace-depth":            {Ignored, false, "Go stacks are logged whole"},
	"no-threads-wait":            {Ignored, false, "requests in flight are always waited for, up to --worker-reload-mercy"},
	"max-apps":                   {Ignored, false, "a uwsgo binary holds one app"}, "no-default-app": {Ignored, false, "a uwsgo binary holds one app"},
	"profiler": {Ignored, false, "use Go's pprof in the app"}, "honour-stdin": {Ignored, false, "stdin is /dev/null for workers"},
	"force-gateway": {Ignored, false, "uwsgo has no gateways"}, "no-fd-passing": {Ignored, false, "descriptors are not passed"},
	"locks":       {Ignored, false, "uWSGI's locks API is for its language plugins; use sync in Go"},
	"lock-engine": {Ignored, false, "uWSGI's locks API is for its language plugins; use sync in Go"},
	"ftok":        {Ignored, false, "no SysV IPC is used"}, "persistent-ipcsem": {Ignored, false, "no SysV IPC is used"},
	"safe-fd": {Ignored, false, "Go opens every descriptor close-on-exec"}, "fd-safe": {Ignored, false, "Go opens every descriptor close-on-exec"},
	"close-on-exec2":     {Ignored, false, "Go opens every descriptor close-on-exec"},
	"mem-collector-freq": {Ignored, false, "memory is sampled every second"},
	"forkbomb-delay":     {Ignored, false, "respawns are throttled by the master"},
	"binary-path":        {Ignored, false, "uwsgo re-executes its own binary (/proc/self/exe)"},
	"thread-stacksize":   {Ignored, false, whyGoSched}, "threads-stacksize": {Ignored, false, whyGoSched},
	"thread-stack-size": {Ignored, false, whyGoSched}, "threads-stack-size": {Ignored, false, whyGoSched},
	"async": {Ignored, false, whyGoSched}, "ugreen": {Ignored, false, whyGoSched}, "ugreen-stacksize": {Ignored, false, whyGoSched},
	"loop":  {Ignored, false, "uwsgo has one loop engine: goroutines"},
	"cheap": {Ignored, false, "workers start at once"},
	"idle":  {Ignored, false, "idle workers are not put to sleep; use --cheaper"}, "die-on-idle": {Ignored, false, "not implemented"},
	"cheaper-rss-limit-soft": {Ignored, false, "adaptive workers do not watch memory; use --reload-on-rss"},
	"cheaper-rss-limit-hard": {Ignored, false, "adaptive workers do not watch memory; use --reload-on-rss"},
	"master-as-root":         {Ignored, false, "the master keeps the privileges it started with until --uid/--gid"},
	"drop-after-init":        {Ignored, false, "privileges drop after binding"}, "drop-after-apps": {Ignored, false, "privileges drop after binding"},
	"force-cwd": {Ignored, false, "use --chdir"}, "binsh": {Ignored, false, "commands run with /bin/sh"},
	"skip-zero": {Ignored, false, "not needed"}, "skip-atexit": {Ignored, false, "no C atexit hooks"}, "skip-atexit-teardown": {Ignored, false, "no C atexit hooks"},
	"reload-on-fd": {Refused, false, "not implemented: use --touch-reload or --fs-reload"}, "brutal-reload-on-fd": {Refused, false, "not implemented: use --touch-reload or --fs-reload"},
	"catch-exceptions":       {Ignored, false, "a handler's panic is recovered and logged; it never reaches the client"},
	"exception-handler":      {Ignored, false, "panics are logged with their stack"},
	"body-read-warning":      {Ignored, false, "not implemented"},
	"write-errors-tolerance": {Ignored, false, "write errors end the request"}, "write-errors-exception-only": {Ignored, false, "write errors end the request"},
	"use-abort": {Ignored, false, "not needed"}, "allowed-modifiers": {Ignored, false, "modifiers 0 and 11 reach the app"},
	"remap-modifier": {Ignored, false, "modifiers 0 and 11 reach the app"}, "response-headers-limit": {Ignored, false, "not implemented"},
	"clock": {Ignored, false, "Go's monotonic clock is used"}, "pcre-jit": {Ignored, false, "Go regexp needs no JIT"},
	"never-swap": {Ignored, false, whyKernel}, "prio": {Ignored, false, whyKernel}, "cpu-affinity": {Ignored, false, whyKernel},
	"limit-nproc":      {Ignored, false, whyKernel},
	"check-mountpoint": {Ignored, false, "not implemented"}, "mountpoint-check": {Ignored, false, "not implemented"},
	"check-mount": {Ignored, false, "not implemented"}, "mount-check": {Ignored, false, "not implemented"},
	"propagate-touch": {Ignored, false, "touch reloads reach every worker anyway"},
	"touch-logrotate": {Ignored, false, "use --touch-logreopen with logrotate's copytruncate or create"},
	"touch-exec":      {Refused, false, "not implemented: use --touch-signal with a signal handler in the app"},
	"mode":            {Ignored, false, "uWSGI's mode selects parts of xml files; uwsgo reads them whole"},
	"heartbeat":       {Refused, false, whyEmperor},
	"no-server":       {Refused, false, "uwsgo always serves"}, "command-mode": {Refused, false, whyCommand},
	// config sources and logic
	"config": {Refused, false, "use --ini, --yaml, --json, --xml or --include"}, "fallback-config": {Refused, false, "not implemented"},
	"inherit": {Refused, false, "use --include"}, "inject-before": {Refused, false, "use --include"}, "inject-after": {Refused, false, "use --include"},
	"get": {Refused, false, whyCommand}, "declare-option": {Refused, false, "custom options are not implemented: use placeholders"},
	"declare-option2": {Refused, false, "custom options are not implemented: use placeholders"},
	"resolve":         {Refused, false, "not implemented: @(exec://getent hosts NAME | cut -d' ' -f1) gives the address"},
	"blacklist":       {Refused, false, "option black/white lists are not implemented"}, "end-blacklist": {Refused, false, "option black/white lists are not implemented"},
	"whitelist": {Refused, false, "option black/white lists are not implemented"}, "end-whitelist": {Refused, false, "option black/white lists are not implemented"},
	"show-config": {Ignored, false, "not implemented"}, "print": {Ignored, false, "not implemented: use hook-asap = print:TEXT"}, "iprint": {Ignored, false, "not implemented: use hook-asap = print:TEXT"},
	"envdir": {Refused, false, "not implemented: use systemd's EnvironmentFile= or --env"}, "early-envdir": {Refused, false, "not implemented: use systemd's EnvironmentFile= or --env"},
	"file-write": {Refused, false, "use hook-asap = write:FILE CONTENT"},
	// commands
	"stop": {Refused, false, whyCommand}, "reload": {Refused, false, whyCommand}, "pause": {Refused, false, whyCommand},
	"suspend": {Refused, false, whyCommand}, "resume": {Refused, false, whyCommand}, "connect-and-read": {Refused, false, whyCommand},
	"extract": {Refused, false, whyCommand}, "print-sym": {Refused, false, whyCommand}, "print-symbol": {Refused, false, whyCommand},
	"signal": {Refused, false, whyCommand}, "dump-options": {Refused, false, whyCommand}, "cflags": {Refused, false, whyCommand},
	"dot-h": {Refused, false, whyCommand}, "config-py": {Refused, false, whyCommand}, "build-plugin": {Refused, false, whyCommand},
	"exit": {Refused, false, whyCommand}, "binary-append-data": {Refused, false, whyCommand},
	"ping": {Refused, false, whyCommand}, "ping-timeout": {Refused, false, whyCommand}, "nagios": {Refused, false, whyCommand},
	// privileges
	"chroot": {Refused, false, whyJail}, "pivot-root": {Refused, false, whyJail}, "cap": {Refused, false, whyJail},
	"add-gid": {Refused, false, whyPrivilege}, "immediate-uid": {Refused, false, whyPrivilege}, "immediate-gid": {Refused, false, whyPrivilege},
	"no-initgroups":           {Ignored, false, "supplementary groups are not set"},
	"privileged-binary-patch": {Refused, false, "uwsgo re-executes only itself"}, "unprivileged-binary-patch": {Refused, false, "uwsgo re-executes only itself"},
	"privileged-binary-patch-arg": {Refused, false, "uwsgo re-executes only itself"}, "unprivileged-binary-patch-arg": {Refused, false, "uwsgo re-executes only itself"},
	"flock": {Refused, false, "not implemented: use flock(1) or systemd"}, "flock-wait": {Refused, false, "not implemented: use flock(1) or systemd"},
	"flock2": {Refused, false, "not implemented: use flock(1) or systemd"}, "flock-wait2": {Refused, false, "not implemented: use flock(1) or systemd"},
	// hooks uwsgo has no stage for
	"hook-touch":         {Refused, false, "not implemented: use --touch-signal with a signal handler in the app"},
	"after-request-hook": {Refused, false, "use a Go middleware"}, "after-request-call": {Refused, false, "use a Go middleware"},
	"hook-as-mule": {Ignored, true, whySpoolTune}, "hook-as-gateway": {Ignored, false, "uwsgo has no gateways"},
	"worker-exec": {Refused, false, "a uwsgo worker runs the Go app"}, "worker-exec2": {Refused, false, "a uwsgo worker runs the Go app"},
	"daemons-honour-stdin": {Ignored, false, "attached daemons get /dev/null as stdin"},
	"cron-harakiri":        {Ignored, false, "cron commands are not timed out"},
	"dlopen":               {Refused, false, "a uwsgo binary loads no shared libraries"}, "autoload": {Ignored, false, "plugins are not loaded"},
	"need-plugins": {Ignored, false, "plugins are not loaded: the Go app and every uwsgo feature are in the binary"},
	"need-plugin":  {Ignored, false, "plugins are not loaded: the Go app and every uwsgo feature are in the binary"},
	// subscriptions (router side)
	"subscriptions-sign-check": {Ignored, false, "a router option"}, "subscriptions-sign-check-tolerance": {Ignored, false, "a router option"},
	"subscriptions-sign-skip-uid": {Ignored, false, "a router option"}, "subscriptions-credentials-check": {Ignored, false, "a router option"},
	"subscriptions-use-credentials": {Ignored, false, "a router option"}, "subscription-algo": {Ignored, false, "a router option"},
	"subscription-dotsplit": {Ignored, false, "a router option"}, "start-unsubscribed": {Ignored, false, "subscriptions start with the workers"},
	"notify-socket": {Ignored, false, "not implemented"}, "subscription-notify-socket": {Ignored, false, "not implemented"},
	"udp": {Refused, false, "UDP servers are not implemented"}, "multicast": {Refused, false, "multicast is not implemented"},
	"multicast-ttl": {Ignored, false, "multicast is not implemented"}, "multicast-loop": {Ignored, false, "multicast is not implemented"},
	"snmp": {Refused, false, "the SNMP server is not implemented: scrape --stats-prometheus"}, "snmp-community": {Ignored, false, "the SNMP server is not implemented"},
	// caches, queues, signals
	"cache-udp-server": {Refused, false, "cache replication is not implemented"}, "cache-udp-node": {Refused, false, "cache replication is not implemented"},
	"cache-sync": {Refused, false, "cache replication is not implemented"}, "cache-use-last-modified": {Ignored, false, "not implemented"},
	"load-file-in-cache": {Refused, false, "not implemented: use add-cache-item"}, "load-file-in-cache-gzip": {Refused, false, "not implemented: use add-cache-item"},
	"check-cache":     {Refused, false, "not implemented: serve cached responses from a Go handler"},
	"queue":           {Ignored, false, "uWSGI's queue framework is for its language plugins; use channels in Go"},
	"queue-blocksize": {Ignored, true, "the queue framework is not implemented"}, "queue-store": {Ignored, true, "the queue framework is not implemented"},
	"queue-store-sync": {Ignored, true, "the queue framework is not implemented"},
	"rpc-max":          {Ignored, false, "RPC functions are not counted"},
	// logging
	"logformat-strftime": {Ignored, false, "not implemented"}, "log-format-strftime": {Ignored, false, "not implemented"},
	"logfile-chown": {Ignored, false, "not implemented"}, "logfile-chmod": {Ignored, false, "not implemented"},
	"log-syslog": {Refused, false, "use logger = syslog[:IDENT[,FACILITY]]"}, "log-socket": {Refused, false, "use logger = socket:ADDR"},
	"logger-list": {Refused, false, whyCommand}, "loggers-list": {Refused, false, whyCommand},
	"threaded-logger": {Ignored, false, "the master writes every log line"},
	"log-drain":       {Refused, false, "not implemented: use log-route to a logger"}, "log-filter": {Refused, false, "not implemented: use log-route"},
	"log-master-bufsize": {Ignored, false, "not needed"}, "log-master-stream": {Ignored, false, "not needed"}, "log-master-req-stream": {Ignored, false, "not needed"},
	"log-truncate": {Ignored, false, "log files are appended to"}, "log-backupname": {Ignored, false, "rotated files are named FILE.UNIXTIME"},
	"log-prefix": {Ignored, false, "not implemented: use log-encoder = prefix TEXT"}, "log-micros": {Ignored, false, "not implemented"},
	"notfound-log":           {Ignored, false, "uwsgo has no notfound plugin"},
	"rsyslog-packet-size":    {Ignored, false, "the rsyslog logger is not available: use logger = syslog"},
	"rsyslog-split-messages": {Ignored, false, "the rsyslog logger is not available: use logger = syslog"},
	"log-zeromq":             {Refused, false, "ZeroMQ is not available: use logger = socket:ADDR"},
	// http and static
	"upload-progress": {Refused, false, "not implemented"}, "ignore-script-name": {Ignored, false, "SCRIPT_NAME is not managed"},
	"error-page-403": {Ignored, false, "the app's own error pages are served"}, "error-page-404": {Ignored, false, "the app's own error pages are served"},
	"error-page-500":       {Ignored, false, "the app's own error pages are served"},
	"websockets-ping-freq": {Ignored, false, "websockets belong to the handler"}, "websocket-ping-freq": {Ignored, false, "websockets belong to the handler"},
	"websockets-pong-tolerance": {Ignored, false, "websockets belong to the handler"}, "websocket-pong-tolerance": {Ignored, false, "websockets belong to the handler"},
	"websockets-max-size": {Ignored, false, "websockets belong to the handler"}, "websocket-max-size": {Ignored, false, "websockets belong to the handler"},
	"chunked-input-limit": {Ignored, false, "chunked bodies stream to the handler"}, "chunked-input-timeout": {Ignored, false, "bounded by --http-timeout"},
	"rem-header": {Ignored, false, "not implemented: use route-run = delheader:NAME"}, "del-header": {Ignored, false, "not implemented: use route-run = delheader:NAME"},

	"check-static-docroot":    {Refused, false, "not implemented: use --check-static DIR"},
	"static-cache-paths-name": {Ignored, false, "uwsgo has no static path cache"},
	"honour-range":            {Ignored, false, "Range requests are always honoured for static files"},
	"offload-thread":          {Ignored, false, "Go's sendfile path is the offload"},
	"file-serve-mode":         {Ignored, false, "static files are sent with sendfile"}, "fileserve-mode": {Ignored, false, "static files are sent with sendfile"},
	"disable-sendfile": {Ignored, false, "not implemented"},
	"vhost":            {Ignored, false, whyLang}, "vhost-host": {Ignored, false, whyLang},
	"worker-mount":             {Ignored, false, whyLang},
	"reload-on-exception-type": {Ignored, false, whyLang}, "reload-on-exception-value": {Ignored, false, whyLang},
	"reload-on-exception-repr": {Ignored, false, whyLang},
	"route-remote-user":        {Refused, false, whyRouteSubj}, "final-route-status": {Refused, false, whyRouteSubj},
	"final-route-remote-user": {Refused, false, whyRouteSubj}, "error-route-status": {Refused, false, whyRouteSubj},
	"error-route-remote-user": {Refused, false, whyRouteSubj}, "response-route-status": {Refused, false, whyRouteSubj},
	"response-route-remote-user": {Refused, false, whyRouteSubj},
	"router-list":                {Refused, false, whyCommand}, "routers-list": {Refused, false, whyCommand},
	// spooler and mules
	"spooler": {Ignored, false, whyNotRun}, "spooler-external": {Ignored, false, whyNotRun},
	"mule": {Ignored, false, whyNotRun}, "mules": {Ignored, false, whyNotRun}, "farm": {Ignored, false, whyNotRun},
	"spooler-ordered": {Ignored, true, whySpoolTune}, "spooler-chdir": {Ignored, true, whySpoolTune}, "spooler-processes": {Ignored, true, whySpoolTune},
	"spooler-quiet": {Ignored, true, whySpoolTune}, "spooler-max-tasks": {Ignored, true, whySpoolTune}, "spooler-harakiri": {Ignored, true, whySpoolTune},
	"spooler-frequency": {Ignored, true, whySpoolTune}, "spooler-freq": {Ignored, true, whySpoolTune},
	"mule-harakiri": {Ignored, true, whySpoolTune}, "mule-reload-mercy": {Ignored, true, whySpoolTune}, "mule-msg-size": {Ignored, true, whySpoolTune},
	"touch-mules-reload": {Ignored, true, whySpoolTune}, "touch-spoolers-reload": {Ignored, true, whySpoolTune},
	"spooler-import": {Ignored, true, whySpoolTune}, "spooler-pyimport": {Ignored, true, whySpoolTune},
	"spooler-py-import": {Ignored, true, whySpoolTune}, "spooler-python-import": {Ignored, true, whySpoolTune},
	// plugins with nothing to do in uwsgo
	"symcall": {Refused, false, whyCall}, "symcall-use-next": {Refused, false, whyCall}, "symcall-register-rpc": {Refused, false, whyCall},
	"symcall-post-fork": {Refused, false, whyCall},
	"zabbix-template":   {Ignored, false, whyPusher},
	"pam":               {Refused, false, "PAM authentication is not implemented: use route basicauth or the app"}, "pam-user": {Refused, false, "PAM authentication is not implemented"},
	"zeromq": {Refused, false, "mongrel2/ZeroMQ is not implemented"}, "zmq": {Refused, false, "mongrel2/ZeroMQ is not implemented"},
	"zeromq-socket": {Refused, false, "mongrel2/ZeroMQ is not implemented"}, "zmq-socket": {Refused, false, "mongrel2/ZeroMQ is not implemented"},
	"mongrel2": {Refused, false, "mongrel2/ZeroMQ is not implemented"},
	"eval":     {Ignored, false, pythonOnly},
}

// prefixRules classify families of options by the start of their name;
// the longest matching prefix wins.
var prefixRules = map[string]rule{
	"emperor": {Refused, false, whyEmperor}, "early-emperor": {Refused, false, whyEmperor}, "vassal": {Refused, false, whyEmperor},
	"imperial-monitor": {Refused, false, whyEmperor}, "hook-emperor": {Refused, false, whyEmperor}, "hook-as-vassal": {Refused, false, whyEmperor},
	"hook-as-emperor": {Refused, false, whyEmperor}, "exec-as-vassal": {Refused, false, whyEmperor}, "exec-as-emperor": {Refused, false, whyEmperor},
	"call-":  {Refused, false, whyCall},
	"legion": {Refused, false, whyLegion}, "unique-legion-cron": {Refused, false, whyLegion}, "cron-legion": {Refused, false, whyLegion}, "unique-cron-legion": {Refused, false, whyLegion},
	"jail": {Refused, false, whyJail}, "jid": {Refused, false, whyJail}, "libjail": {Refused, false, whyJail},
	"unshare": {Refused, false, whyJail}, "setns": {Refused, false, whyJail}, "namespace": {Refused, false, whyJail}, "ns": {Refused, false, whyJail},
	"cgroup": {Refused, false, whyJail}, "refork": {Refused, false, whyJail}, "re-fork": {Refused, false, whyJail},
	"hook-pre-jail": {Refused, false, whyJail}, "hook-post-jail": {Refused, false, whyJail}, "hook-in-jail": {Refused, false, whyJail},
	"exec-pre-jail": {Refused, false, whyJail}, "exec-post-jail": {Refused, false, whyJail}, "exec-in-jail": {Refused, false, whyJail},
	"pivot_root": {Refused, false, whyJail},
	"mount-":     {Refused, false, whyMount}, "umount-": {Refused, false, whyMount},
	"wait-for-": {Refused, false, whyWait}, "wait-interface": {Refused, false, whyWait}, "wait-iface": {Refused, false, whyWait},
	"alarm": {Ignored, false, whyAlarm}, "segfault-alarm": {Ignored, false, whyAlarm}, "backlog-alarm": {Ignored, false, whyAlarm},
	"lq-alarm": {Ignored, false, whyAlarm}, "listen-queue-alarm": {Ignored, false, whyAlarm}, "log-alarm": {Ignored, false, whyAlarm},
	"not-log-alarm": {Ignored, false, whyAlarm}, "not-alarm-log": {Ignored, false, whyAlarm},
	"metric": {Ignored, false, whyMetric}, "enable-metrics": {Ignored, false, whyMetric}, "alarm-metric": {Ignored, false, whyMetric},
	"stats-push": {Ignored, false, whyPusher}, "stats-no-": {Ignored, false, whyPusher}, "carbon": {Ignored, false, whyPusher}, "rrdtool": {Ignored, false, whyPusher},
	"fastrouter": {Refused, false, whyRouter}, "rawrouter": {Refused, false, whyRouter}, "sslrouter": {Refused, false, whyRouter},
	"forkpty": {Refused, false, whyRouter}, "tuntap": {Refused, false, whyRouter}, "zerg": {Refused, false, whyRouter},
	"legion-attach": {Refused, false, whyLegion}, "legion-smart": {Refused, false, whyLegion},
	"https": {Refused, false, whyTLS}, "http-to-https": {Refused, false, whyTLS}, "ssl-": {Refused, false, whyTLS}, "sni": {Refused, false, whyTLS},
	"http-to": {Refused, false, whyRouter}, "http-use-": {Refused, false, whyRouter}, "http-subscription-": {Refused, false, whyRouter},
	"http-fallback": {Refused, false, whyRouter}, "http-zerg": {Refused, false, whyRouter},
	"http-": {Ignored, false, whyHTTPRtr},
	"cgi":   {Refused, false, "uwsgo runs a Go app, not CGI scripts"}, "webdav": {Refused, false, "WebDAV is not implemented: serve it from the Go app (golang.org/x/net/webdav)"},
	"pty-":              {Refused, false, "the pty plugin is not implemented"},
	"cheaper-algo-list": {Refused, false, whyCommand}, "cheaper-algos-list": {Refused, false, whyCommand}, "cheaper-list": {Refused, false, whyCommand},
	"clock-list": {Refused, false, whyCommand}, "clocks-list": {Refused, false, whyCommand}, "loop-list": {Refused, false, whyCommand}, "loops-list": {Refused, false, whyCommand},
	"plugins-list": {Refused, false, whyCommand}, "plugin-list": {Refused, false, whyCommand},
}

// logicRule is the row of uWSGI's config logic keys.
var logicRule = rule{Supported, false, ""}

// classify finds the rule for a uWSGI option missing from the hand-written
// table; ok is false when no rule covers it (a test fails on that).
func classify(n uwsgiName) (rule, bool) {
	if isLogicKey(n.name) || strings.HasPrefix(n.name, "if") && (n.name == "ifenv" || n.name == "ifexists" || n.name == "ifplugin" || n.name == "ifdir") {
		return logicRule, true
	}
	if n.plugin == "python" {
		if r, ok := exactRules[n.name]; ok {
			return r, true
		}
		return rule{Ignored, false, pythonOnly}, true
	}
	if r, ok := exactRules[n.name]; ok {
		return r, true
	}
	for i := len(n.name); i > 0; i-- { // the longest matching prefix
		if r, ok := prefixRules[n.name[:i]]; ok {
			return r, true
		}
	}
	return rule{}, false
}

// unclassified lists the uWSGI options no row and no rule covers.
var unclassified []string

// addUwsgiNames gives every option of uWSGI's tables a row: the ones the
// hand-written table lacks get their rule's status and reason.
func addUwsgiNames() {
	for _, n := range uwsgiNames { // before table grows: byName points into it
		if o, ok := byName[n.name]; ok && o.Plugin == "" {
			o.Plugin = n.plugin
		}
	}
	grown := make([]Option, len(table), len(table)+len(uwsgiNames))
	copy(grown, table)
	table = grown // byName is pointed at the final rows below
	for _, n := range uwsgiNames {
		if _, ok := byName[n.name]; ok {
			continue
		}
		r, ok := classify(n)
		if !ok {
			unclassified = append(unclassified, n.plugin+":"+n.name)
			continue
		}
		o := Option{Name: n.name, Kind: n.kind, Status: r.status, Note: r.note, Quiet: r.quiet, Plugin: n.plugin}
		switch r.status {
		case Supported:
			o.Help = "uWSGI's config logic (see docs/README.md, section 3)"
		case Ignored:
			o.Help = "accepted for compatibility; ignored"
		case Refused:
			o.Help = "refused at start"
		}
		if n.short != 0 {
			if _, taken := byShort[n.short]; !taken {
				o.Short = n.short
			}
		}
		table = append(table, o)
		p := &table[len(table)-1]
		byName[p.Name] = p
		if p.Short != 0 {
			byShort[p.Short] = p
		}
	}
	// table may have moved: point the maps at the final rows.
	for i := range table {
		o := &table[i]
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			byName[n] = o
		}
		if o.Short != 0 {
			byShort[o.Short] = o
		}
	}
}
