package master

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/logging"
)

// Log routing (--logger, --req-logger, --log-route, --log-encoder,
// --log-maxsize...) is uWSGI's "log master": one process, the master, owns
// every log destination. Workers, daemons and hooks write their lines to
// a pipe the master reads (writes of at most pipeAtomic bytes, cut at line
// ends, so lines from different processes never mix), and request lines to
// a second pipe when there are request loggers. Without those options each
// process appends to the log itself, as before.
const maxLogLine = 64 << 10 // longer lines are cut

// LogMaster is the master's log router and the pipes its children write
// their lines to (one per process, owned by the master).
type LogMaster struct {
	router     *logging.Router
	srvR, srvW *os.File
	reqR, reqW *os.File
}

// LoggingConfig is the log router's configuration from the options.
func LoggingConfig(cfg *config.Config) logging.Config {
	return logging.Config{
		Loggers: cfg.Strings("logger"), ReqLoggers: cfg.Strings("req-logger"),
		Routes: cfg.Strings("log-route"), ReqRoutes: cfg.Strings("log-req-route"),
		Encoders: cfg.Strings("log-encoder"), ReqEncoders: cfg.Strings("log-req-encoder"),
		MaxSize: int64(cfg.Int("log-maxsize")),
	}
}

// WantLogMaster reports whether the options need the log master.
func WantLogMaster(cfg *config.Config) bool {
	return LoggingConfig(cfg).Enabled() || cfg.Int("log-maxsize") > 0 || len(cfg.Strings("touch-logreopen")) > 0
}

// StartLogMaster builds the router (raw log: --logto, rotated at
// --log-maxsize, or stderr) and the pipes, and turns log into its front.
func StartLogMaster(cfg *config.Config, log *logger.Logger, logto string, state *handoff.MasterState) (*LogMaster, error) {
	lc := LoggingConfig(cfg)
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
	lm := &LogMaster{router: router}
	if !lm.inheritPipes(state) {
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
	log.Route(lm.router.Server, lm.router.Request, lm.srvW)
	return lm, nil
}

// pump reads lines from a pipe and routes each.
func (lm *LogMaster) pump(r *os.File, route func([]byte) error) {
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

// childLogFiles are the extra descriptors a worker gets for logging.
func (lm *LogMaster) childLogFiles() []*os.File {
	if lm == nil || lm.reqW == nil {
		return nil
	}
	return []*os.File{lm.reqW}
}

// reopen reopens the log files (SIGHUP with --log-reopen, --touch-logreopen).
func (lm *LogMaster) reopen(log *logger.Logger) {
	if lm == nil {
		log.ReopenFile()
		return
	}
	if err := lm.router.Reopen(); err != nil {
		log.Printf("uwsgi: reopening the logs: %v", err)
	}
}

// inheritPipes takes over the pipes of the master image this one replaced
// (a binary re-exec): the workers it adopts write to them.
func (lm *LogMaster) inheritPipes(state *handoff.MasterState) bool {
	if state == nil || len(state.LogPipes) != 4 {
		return false
	}
	files := make([]*os.File, 4)
	for i, fd := range state.LogPipes {
		if fd >= 0 {
			unix.CloseOnExec(fd)
			files[i] = os.NewFile(uintptr(fd), "log-pipe")
		}
	}
	lm.srvR, lm.srvW, lm.reqR, lm.reqW = files[0], files[1], files[2], files[3]
	return lm.srvR != nil && lm.srvW != nil
}
