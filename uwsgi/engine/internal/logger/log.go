package logger

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/logging"
	"github.com/uwsgo/uwsgo/uwsgi/reqlog"
)

// Logger writes server messages and request lines to one buffered sink, so
// both keep their order.
type Logger struct {
	out    *reqlog.Writer
	reqOut *reqlog.Writer // request lines, when they have loggers of their own
	file   *os.File       // --logto file, closed with the logger
	path   string         // --logto path, for reopening
	pipe   *os.File       // the log master's pipe: what children write to
	Date   func([]byte) []byte
	mu     sync.Mutex
	buf    []byte
}

// NewLogger logs to w.
func NewLogger(w io.Writer) *Logger {
	l := &Logger{}
	l.out = reqlog.NewWriter(w, reqlog.WithErrorHandler(func(err error) {
		fmt.Fprintf(os.Stderr, "uwsgo: log write failed: %v\n", err)
	}))
	return l
}

// OpenLogger logs to the file at path (appending), or to stderr when path is "".
func OpenLogger(path string) (*Logger, error) {
	if path == "" {
		return NewLogger(os.Stderr), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("unable to open logto file: %w", err)
	}
	l := NewLogger(f)
	l.file, l.path = f, path
	return l, nil
}

// Route sends this logger's lines through the log master's router: server
// lines to server, request lines to request; pipe is the log pipe the
// master's children write to (kept open for them).
func (l *Logger) Route(server, request func([]byte) error, pipe *os.File) {
	_ = l.out.Flush()
	l.out = reqlog.NewWriter(lineRouter(server))
	l.reqOut = reqlog.NewWriter(lineRouter(request))
	if l.file != nil {
		_ = l.file.Close()
		l.file = nil
	}
	l.pipe = pipe
}

// pipeAtomic is PIPE_BUF on Linux: writes to a pipe of at most this many
// bytes never mix with other processes' writes.
const pipeAtomic = 4096

// ReopenFile reopens the --logto file (logrotate), for the processes
// started from now on and this one.
func (l *Logger) ReopenFile() {
	if l.path == "" {
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		l.Printf("uwsgi: reopening %s: %v", l.path, err)
		return
	}
	_ = l.out.Flush()
	old := l.file
	l.out = reqlog.NewWriter(f)
	l.file = f
	_ = old.Close()
}

// Output is the file child processes should write their log to.
func (l *Logger) Output() *os.File {
	if l.pipe != nil {
		return l.pipe
	}
	if l.file != nil {
		return l.file
	}
	return os.Stderr
}

// Printf logs one server message line.
func (l *Logger) Printf(format string, args ...any) {
	l.mu.Lock()
	l.buf = l.buf[:0]
	if l.Date != nil {
		l.buf = l.Date(l.buf)
	}
	l.buf = fmt.Appendf(l.buf, format, args...)
	if len(l.buf) == 0 || l.buf[len(l.buf)-1] != '\n' {
		l.buf = append(l.buf, '\n')
	}
	_, _ = l.out.Write(l.buf)
	l.mu.Unlock()
}

// Request logs one request line in format f.
func (l *Logger) Request(f *reqlog.Format, r *reqlog.Record) {
	if l.reqOut != nil {
		l.reqOut.WriteRecord(f, r)
		return
	}
	l.out.WriteRecord(f, r)
}

// Flush writes out what is buffered.
func (l *Logger) Flush() {
	_ = l.out.Flush()
	if l.reqOut != nil {
		_ = l.reqOut.Flush()
	}
}

// Close flushes and closes the log.
func (l *Logger) Close() {
	if l.reqOut != nil {
		_ = l.reqOut.Close()
	}
	_ = l.out.Close()
	if l.file != nil {
		_ = l.file.Close()
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

// WorkerLogging sets up a worker's log writers: through the master's pipes
// when it runs a log master, else straight to the inherited log.
func WorkerLogging(log *Logger) {
	v, ok := os.LookupEnv(handoff.EnvReqLog)
	if !ok {
		return
	}
	os.Unsetenv(handoff.EnvReqLog)
	log.out = reqlog.NewWriter(lineChunks{os.Stderr, pipeAtomic})
	if fd, err := strconv.Atoi(v); err == nil {
		log.reqOut = reqlog.NewWriter(lineChunks{os.NewFile(uintptr(fd), "request-log"), pipeAtomic})
	}
}

// LogDatePrefix is --log-date / --logdate: server lines start with the
// date (ctime, or the strftime format given) and " - ".
func LogDatePrefix(cfg *config.Config) func([]byte) []byte {
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
