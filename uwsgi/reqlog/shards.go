package reqlog

import (
	"cmp"
	"slices"
	"sync/atomic"
)

// Per-core line buffers.
//
// A request line is formatted into a buffer of its own core (Record.Core,
// modulo shardCount), not into the Writer's shared one: requests on
// different CPUs then write to different cache lines and never wait for one
// another, and the shared lock is taken about once per shardFlush bytes of
// a core's lines instead of once per line. A shard is owned through its
// busy word: its core's request takes it with one compare-and-swap, formats
// the line and lets go. The owner is almost always alone: only the
// collector or a second request of the same shard (a core freed and taken
// again while its last request was still logging, or two cores equal modulo
// shardCount) ever find the word taken, and then the line goes the shared
// way, under the lock: nothing waits for a shard's owner but the collector,
// nothing is lost, no line is torn.
//
// The collector (the flush timer every FlushInterval, a full shard, Flush,
// Close, a server message and a line that went the shared way) moves every
// shard's lines to the shared buffer in the order the requests ended
// (Record.Start + Duration), so the log reads as it did with one buffer:
// the requests of one connection in order, and a server message after the
// request lines finished before it.

const (
	// shardCount is how many per-core buffers a Writer has: more than the
	// CPUs that run requests at once, so that two of them seldom share one.
	shardCount = 64
	// shardFlush is the shard size at which the lines move to the shared
	// buffer at once.
	shardFlush = 16 << 10
	// shardCap is the most a shard holds while the shared lock is busy.
	shardCap = 64 << 10
)

// shard is one core's line buffer, alone on its cache lines.
type shard struct {
	_     [64]byte
	busy  atomic.Uint32 // 1 while a request or the collector owns the rest
	buf   []byte
	lines []lineMark
}

// lineMark is where a shard's line ends and when its request ended.
type lineMark struct {
	ended int64 // unix ns
	end   int32 // offset in buf
	shard int32 // in the collector's merge
	start int32 // ditto
}

// tryOwn takes the shard, or reports that someone else has it.
func (s *shard) tryOwn() bool { return s.busy.CompareAndSwap(0, 1) }

func (s *shard) release() { s.busy.Store(0) }

// own takes the shard, waiting for its owner: the collector's path, which
// only ever waits for a line being formatted (an owner never waits).
func (s *shard) own() {
	for !s.tryOwn() {
		yield()
	}
}

// writeShard formats r into its core's buffer; false means it did not (no
// core, the shard taken or full, the Writer closed): the caller writes the
// line the shared way. A full shard is collected only when the shared
// lock is free; otherwise whoever holds it collects or writes out, and the
// timer collects next. A shard that reached shardCap (a sink slower than
// the requests) sends its lines the shared way, which makes requests wait
// for the sink, as one buffer did.
func (w *Writer) writeShard(f *Format, r *Record) bool {
	if r.Core < 0 {
		return false
	}
	s := &w.shards[r.Core%shardCount]
	if !s.tryOwn() {
		return false
	}
	if w.closed.Load() || len(s.buf) >= shardCap {
		s.release()
		return false
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, shardFlush+maxLine+512)
		s.lines = make([]lineMark, 0, 64)
	}
	s.buf = f.Append(s.buf, r)
	s.lines = append(s.lines, lineMark{ended: r.Start.UnixNano() + int64(r.Duration), end: int32(len(s.buf))})
	full := len(s.buf) >= shardFlush
	s.release()
	if !w.pending.Load() {
		w.pending.Store(true)
	}
	if full && w.mu.TryLock() {
		w.collectLocked(false)
		w.afterAppendLocked()
		w.mu.Unlock()
	} else if !w.armed.Load() {
		w.mu.Lock()
		w.armLocked()
		w.mu.Unlock()
	}
	return true
}

// collectLocked moves every shard's lines to the shared buffer, in the
// order their requests ended; w.mu is held. Unless all is set, it does so
// only when a line was written to a shard since the last collection.
func (w *Writer) collectLocked(all bool) {
	if !w.pending.Swap(false) && !all {
		return
	}
	marks := w.marks[:0]
	for i := range w.shards {
		s := &w.shards[i]
		s.own()
		start := int32(0)
		for _, m := range s.lines {
			m.shard, m.start = int32(i), start
			marks = append(marks, m)
			start = m.end
		}
		s.lines = s.lines[:0]
		// The lines stay in s.buf, owned by the collector, until copied.
	}
	slices.SortFunc(marks, func(a, b lineMark) int {
		if c := cmp.Compare(a.ended, b.ended); c != 0 {
			return c
		}
		if c := cmp.Compare(a.shard, b.shard); c != 0 {
			return c
		}
		return cmp.Compare(a.start, b.start)
	})
	for _, m := range marks {
		w.buf = append(w.buf, w.shards[m.shard].buf[m.start:m.end]...)
	}
	for i := range w.shards {
		s := &w.shards[i]
		s.buf = s.buf[:0]
		s.release()
	}
	w.marks = marks[:0]
}
