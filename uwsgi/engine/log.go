package engine

import (
	"fmt"
	"io"
	"os"
	"sync"

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
	date   func([]byte) []byte
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

// route sends this logger's lines through the log master's router.
func (l *Logger) route(lm *logMaster) {
	_ = l.out.Flush()
	l.out = reqlog.NewWriter(lineRouter(lm.router.Server))
	l.reqOut = reqlog.NewWriter(lineRouter(lm.router.Request))
	if l.file != nil {
		_ = l.file.Close()
		l.file = nil
	}
	l.pipe = lm.srvW
}

// reopenFile reopens the --logto file (logrotate), for the processes
// started from now on and this one.
func (l *Logger) reopenFile() {
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
	if l.date != nil {
		l.buf = l.date(l.buf)
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
