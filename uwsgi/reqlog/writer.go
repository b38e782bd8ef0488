package reqlog

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// FlushInterval is the longest a line waits in a Writer's buffer.
const FlushInterval = 100 * time.Millisecond

// bufferLimit is the buffer size at which a Writer writes out at once.
const bufferLimit = 32 << 10

// Writer is a buffered, goroutine-safe sink of whole lines. Request lines
// are formatted into per-core buffers first (see shards.go). A failing
// underlying writer (disk full) is reported once through the error handler;
// lines are dropped while it fails and their count is logged when it
// recovers. Writers never block request goroutines on a failing sink.
//
// Lines buffered when the process is killed (SIGKILL) are lost: at most
// those of the last FlushInterval. Close (a graceful stop) writes them all.
type Writer struct {
	mu      sync.Mutex
	out     io.Writer
	buf     []byte
	failing bool
	dropped int
	onErr   func(error)
	timer   *time.Timer
	armed   atomic.Bool // the flush timer is pending; set under mu
	closed  atomic.Bool // set under mu
	pending atomic.Bool // a shard may hold lines
	shards  []shard
	marks   []lineMark // the collector's, reused
}

// Option configures a Writer.
type Option func(*Writer)

// WithErrorHandler sets the function told, once per failure period, that
// writing failed.
func WithErrorHandler(f func(error)) Option { return func(w *Writer) { w.onErr = f } }

// NewWriter returns a Writer to out.
func NewWriter(out io.Writer, opts ...Option) *Writer {
	w := &Writer{out: out, buf: make([]byte, 0, bufferLimit), shards: make([]shard, shardCount)}
	for _, o := range opts {
		o(w)
	}
	return w
}

// WriteRecord appends r's line in format f: to the buffer of core r.Core
// when it can, else to the shared buffer.
func (w *Writer) WriteRecord(f *Format, r *Record) {
	if w.writeShard(f, r) {
		return
	}
	w.mu.Lock()
	w.collectLocked(false) // the lines that ended before this one first
	w.buf = f.Append(w.buf, r)
	w.afterAppendLocked()
	w.mu.Unlock()
}

// Write appends p, which should be whole lines, after the request lines
// buffered so far.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.collectLocked(false)
	w.buf = append(w.buf, p...)
	w.afterAppendLocked()
	w.mu.Unlock()
	return len(p), nil
}

func (w *Writer) afterAppendLocked() {
	if len(w.buf) >= bufferLimit || w.closed.Load() {
		w.flushLocked()
		return
	}
	w.armLocked()
}

// armLocked starts the flush timer unless it is pending (or the Writer is
// closed: Close wrote everything, later lines go straight out).
func (w *Writer) armLocked() {
	if w.armed.Load() || w.closed.Load() {
		return
	}
	w.armed.Store(true)
	if w.timer == nil {
		w.timer = time.AfterFunc(FlushInterval, w.timedFlush)
	} else {
		w.timer.Reset(FlushInterval)
	}
}

func (w *Writer) timedFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed.Store(false)
	w.collectLocked(false)
	_ = w.flushLocked()
}

// Flush writes out the buffers.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.collectLocked(true)
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	if err != nil {
		w.dropped += countLines(w.buf) // counted only when lost (it showed in profiles on every flush)
		w.buf = w.buf[:0]
		if !w.failing && w.onErr != nil {
			w.onErr(err)
		}
		w.failing = true
		return err
	}
	w.buf = w.buf[:0]
	if w.failing {
		w.failing = false
		fmt.Fprintf(w.out, "uwsgo: the log could not be written for a while: %d lines were lost\n", w.dropped)
		w.dropped = 0
	}
	return nil
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// Close flushes; later writes go straight out.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed.Store(true)
	if w.timer != nil {
		w.timer.Stop()
	}
	w.collectLocked(true) // waits for lines being formatted into a shard
	return w.flushLocked()
}
