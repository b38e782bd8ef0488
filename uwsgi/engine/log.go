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
	out  *reqlog.Writer
	file *os.File // --logto file, closed with the logger
	mu   sync.Mutex
	buf  []byte
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
	l.file = f
	return l, nil
}

// Output is the file child processes should write their log to.
func (l *Logger) Output() *os.File {
	if l.file != nil {
		return l.file
	}
	return os.Stderr
}

// Printf logs one server message line.
func (l *Logger) Printf(format string, args ...any) {
	l.mu.Lock()
	l.buf = fmt.Appendf(l.buf[:0], format, args...)
	if len(l.buf) == 0 || l.buf[len(l.buf)-1] != '\n' {
		l.buf = append(l.buf, '\n')
	}
	_, _ = l.out.Write(l.buf)
	l.mu.Unlock()
}

// Request logs one request line in format f.
func (l *Logger) Request(f *reqlog.Format, r *reqlog.Record) { l.out.WriteRecord(f, r) }

// Flush writes out what is buffered.
func (l *Logger) Flush() { _ = l.out.Flush() }

// Close flushes and closes the log.
func (l *Logger) Close() {
	_ = l.out.Close()
	if l.file != nil {
		_ = l.file.Close()
	}
}
