package engine

import (
	"strings"

	"bufio"
	"bytes"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/logging"
	"github.com/uwsgo/uwsgo/uwsgi/reqlog"
)

// Log routing (--logger, --req-logger, --log-route, --log-encoder,
// --log-maxsize...) is uWSGI's "log master": one process, the master, owns
// every log destination. Workers, daemons and hooks write their lines to
// a pipe the master reads (writes of at most pipeAtomic bytes, cut at line
// ends, so lines from different processes never mix), and request lines to
// a second pipe when there are request loggers. Without those options each
// process appends to the log itself, as before.
const (
	envReqLog  = "UWSGO_REQLOG" // in a worker: the request pipe's descriptor ("-" for none)
	pipeAtomic = 4096           // PIPE_BUF on Linux
	maxLogLine = 64 << 10       // longer lines are cut
)

// logMasterState is this process's log master, if it runs one.
var logMasterState *logMaster

type logMaster struct {
	router     *logging.Router
	srvR, srvW *os.File
	reqR, reqW *os.File
}

func loggingConfig(cfg *config.Config) logging.Config {
	return logging.Config{
		Loggers: cfg.Strings("logger"), ReqLoggers: cfg.Strings("req-logger"),
		Routes: cfg.Strings("log-route"), ReqRoutes: cfg.Strings("log-req-route"),
		Encoders: cfg.Strings("log-encoder"), ReqEncoders: cfg.Strings("log-req-encoder"),
		MaxSize: int64(cfg.Int("log-maxsize")),
	}
}

// wantLogMaster reports whether the options need the log master.
func wantLogMaster(cfg *config.Config) bool {
	return loggingConfig(cfg).Enabled() || cfg.Int("log-maxsize") > 0 || len(cfg.Strings("touch-logreopen")) > 0
}

// startLogMaster builds the router (raw log: --logto, rotated at
// --log-maxsize, or stderr) and the pipes, and turns log into its front.
func startLogMaster(cfg *config.Config, log *Logger, logto string) (*logMaster, error) {
	lc := loggingConfig(cfg)
	var raw logging.Sink = logging.WriterSink(os.Stderr)
	if logto != "" {
		f, err := logging.OpenFile(logto, lc.MaxSize)
		if err != nil {
			return nil, err
		}
		raw = f
	}
	router, err := logging.New(lc, raw)
	if err != nil {
		return nil, fmt.Errorf("uwsgi: %w", err)
	}
	lm := &logMaster{router: router}
	if !lm.inheritPipes() {
		if lm.srvR, lm.srvW, err = os.Pipe(); err != nil {
			return nil, err
		}
		if router.HasRequestLoggers() {
			if lm.reqR, lm.reqW, err = os.Pipe(); err != nil {
				return nil, err
			}
		}
	}
	go lm.pump(lm.srvR, router.Server)
	if lm.reqR != nil {
		go lm.pump(lm.reqR, router.Request)
	}
	log.route(lm)
	return lm, nil
}

// pump reads lines from a pipe and routes each.
func (lm *logMaster) pump(r *os.File, route func([]byte) error) {
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			_ = route(line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// lineRouter is an io.Writer that routes each whole line of what it gets.
type lineRouter func([]byte) error

func (lr lineRouter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			i = len(p) - 1
		}
		if err := lr(p[:i+1]); err != nil {
			return n - len(p), err
		}
		p = p[i+1:]
	}
	return n, nil
}

// lineChunks writes at most max bytes per write, cut after a newline where
// possible: the writes to a shared pipe stay atomic.
type lineChunks struct {
	w   io.Writer
	max int
}

func (c lineChunks) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := len(p)
		if k > c.max {
			if k = bytes.LastIndexByte(p[:c.max], '\n') + 1; k <= 0 {
				k = c.max
			}
		}
		m, err := c.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// childLogFiles are the extra descriptors a worker gets for logging.
func (lm *logMaster) childLogFiles() []*os.File {
	if lm == nil || lm.reqW == nil {
		return nil
	}
	return []*os.File{lm.reqW}
}

// reopen reopens the log files (SIGHUP with --log-reopen, --touch-logreopen).
func (lm *logMaster) reopen(log *Logger) {
	if lm == nil {
		log.reopenFile()
		return
	}
	if err := lm.router.Reopen(); err != nil {
		log.Printf("uwsgi: reopening the logs: %v", err)
	}
}

// workerLogging sets up a worker's log writers: through the master's pipes
// when it runs a log master, else straight to the inherited log.
func workerLogging(log *Logger) {
	v, ok := os.LookupEnv(envReqLog)
	if !ok {
		return
	}
	os.Unsetenv(envReqLog)
	log.out = reqlog.NewWriter(lineChunks{os.Stderr, pipeAtomic})
	if fd, err := strconv.Atoi(v); err == nil {
		log.reqOut = reqlog.NewWriter(lineChunks{os.NewFile(uintptr(fd), "request-log"), pipeAtomic})
	}
}

// logDatePrefix is --log-date / --logdate: server lines start with the
// date (ctime, or the strftime format given) and " - ".
func logDatePrefix(cfg *config.Config) func([]byte) []byte {
	if !cfg.IsSet("log-date") {
		return nil
	}
	format := cfg.String("log-date")
	if format == "" || format == "true" || format == "1" {
		format = "%a %b %e %H:%M:%S %Y"
	}
	return func(dst []byte) []byte {
		return append(logging.AppendStrftime(dst, format, time.Now()), " - "...)
	}
}

// inheritPipes takes over the pipes of the master image this one replaced
// (a binary re-exec): the workers it adopts write to them.
func (lm *logMaster) inheritPipes() bool {
	for _, kv := range strings.Split(os.Getenv(envMasterState), ";") {
		v, ok := strings.CutPrefix(kv, "logpipes=")
		if !ok {
			continue
		}
		fds := splitIntsSep(v, ",")
		if len(fds) != 4 {
			return false
		}
		files := make([]*os.File, 4)
		for i, fd := range fds {
			if fd >= 0 {
				unix.CloseOnExec(fd)
				files[i] = os.NewFile(uintptr(fd), "log-pipe")
			}
		}
		lm.srvR, lm.srvW, lm.reqR, lm.reqW = files[0], files[1], files[2], files[3]
		return lm.srvR != nil && lm.srvW != nil
	}
	return false
}
