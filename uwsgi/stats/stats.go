// Package stats renders uwsgo's figures as uWSGI's stats server JSON (the
// document uwsgitop, uwsgi_exporter and monitoring checks read) and as
// Prometheus text. It knows nothing of processes: the engine fills a
// Snapshot from the scoreboard.
package stats

import (
	"strconv"
)

// Snapshot is the instance at one moment.
type Snapshot struct {
	Version     string
	ListenQueue uint64 // the longest accept queue over the TCP sockets
	PID         int
	UID, GID    int
	CWD         string
	Caches      []Cache
	Sockets     []Socket
	Workers     []Worker
}

// Cache is one cache of the caching framework.
type Cache struct {
	Name, Hash                  string
	HashSize, KeySize, MaxItems uint64
	Blocks, BlockSize           uint64
	Items, Hits, Miss, Full     uint64
	LastModifiedAt              int64
	LockHolder                  int // pid holding the cache lock, 0 = free
}

// Socket is one listening socket.
type Socket struct {
	Name     string
	Proto    string // uwsgi, http
	Queue    uint64 // connections waiting to be accepted
	MaxQueue uint64 // backlog
	Shared   bool
}

// Worker is one worker slot.
type Worker struct {
	ID, PID       int
	Accepting     bool
	Requests      uint64 // since the instance started
	DeltaRequests uint64 // since this worker was spawned
	Exceptions    uint64
	HarakiriCount uint64
	Signals       uint64
	SignalQueue   uint64
	Status        string // idle, busy, cheap, pause, sigN
	RSS, VSZ      uint64 // bytes
	RunningTime   uint64 // µs spent in requests
	LastSpawn     int64  // unix seconds
	RespawnCount  uint64
	TX            uint64 // bytes sent
	AvgRT         uint64 // µs
	Cores         []Core
}

// Core is one core (request slot) of a worker.
type Core struct {
	ID                                int
	Requests, StaticRequests          uint64
	RoutedRequests, OffloadedRequests uint64
	WriteErrors, ReadErrors           uint64
	InRequest                         bool
	RequestStart                      int64  // unix seconds, when in a request
	Method, URI                       string // the request in flight
}

// jsonWriter emits uWSGI's layout: pretty (a newline after { [ and ,, one
// tab per level) or minified.
type jsonWriter struct {
	b     []byte
	depth int
	min   bool
	first bool
}

func (w *jsonWriter) nl() {
	if w.min {
		return
	}
	w.b = append(w.b, '\n')
	for range w.depth {
		w.b = append(w.b, '\t')
	}
}

func (w *jsonWriter) sep() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.nl()
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	if !w.first {
		w.nl()
	}
	w.b = append(w.b, c)
	w.first = false
}

func (w *jsonWriter) key(k string) {
	w.sep()
	w.b = strconv.AppendQuote(w.b, k)
	w.b = append(w.b, ':')
}

func (w *jsonWriter) str(k, v string)      { w.key(k); w.b = strconv.AppendQuote(w.b, v) }
func (w *jsonWriter) u(k string, v uint64) { w.key(k); w.b = strconv.AppendUint(w.b, v, 10) }
func (w *jsonWriter) i(k string, v int64)  { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// AppendJSON appends the stats document, with uWSGI 2.0's keys, order and
// integer types.
func AppendJSON(dst []byte, s *Snapshot, minified bool) []byte {
	w := &jsonWriter{b: dst, min: minified}
	w.open('{')
	w.str("version", s.Version)
	w.u("listen_queue", s.ListenQueue)
	w.u("listen_queue_errors", 0)
	w.u("signal_queue", 0)
	w.u("load", s.ListenQueue)
	w.u("pid", uint64(s.PID))
	w.u("uid", uint64(s.UID))
	w.u("gid", uint64(s.GID))
	w.str("cwd", s.CWD)
	w.key("locks")
	w.open('[')
	for _, l := range []string{"user 0", "signal", "filemon", "timer", "rbtimer", "cron", "rpc", "snmp"} {
		w.sep()
		w.open('{')
		w.u(l, 0)
		w.close('}')
	}
	for _, c := range s.Caches {
		w.sep()
		w.open('{')
		w.u("cache_"+c.Name, uint64(c.LockHolder))
		w.close('}')
	}
	w.close(']')
	if len(s.Caches) > 0 {
		appendCaches(w, s.Caches)
	}
	w.key("sockets")
	w.open('[')
	for _, so := range s.Sockets {
		w.sep()
		w.open('{')
		w.str("name", so.Name)
		w.str("proto", so.Proto)
		w.u("queue", so.Queue)
		w.u("max_queue", so.MaxQueue)
		w.u("shared", b2u(so.Shared))
		w.u("can_offload", 0)
		w.close('}')
	}
	w.close(']')
	w.key("workers")
	w.open('[')
	for i := range s.Workers {
		w.sep()
		appendWorker(w, &s.Workers[i])
	}
	w.close(']')
	w.close('}')
	return w.b
}

func appendCaches(w *jsonWriter, caches []Cache) {
	w.key("caches")
	w.open('[')
	for _, c := range caches {
		w.sep()
		w.open('{')
		w.str("name", c.Name)
		w.str("hash", c.Hash)
		w.u("hashsize", c.HashSize)
		w.u("keysize", c.KeySize)
		w.u("max_items", c.MaxItems)
		w.u("blocks", c.Blocks)
		w.u("blocksize", c.BlockSize)
		w.u("items", c.Items)
		w.u("hits", c.Hits)
		w.u("miss", c.Miss)
		w.u("full", c.Full)
		w.i("last_modified_at", c.LastModifiedAt)
		w.close('}')
	}
	w.close(']')
}

func appendWorker(w *jsonWriter, wk *Worker) {
	w.open('{')
	w.u("id", uint64(wk.ID))
	w.u("pid", uint64(wk.PID))
	w.u("accepting", b2u(wk.Accepting))
	w.u("requests", wk.Requests)
	w.u("delta_requests", wk.DeltaRequests)
	w.u("exceptions", wk.Exceptions)
	w.u("harakiri_count", wk.HarakiriCount)
	w.u("signals", wk.Signals)
	w.u("signal_queue", wk.SignalQueue)
	w.str("status", wk.Status)
	w.u("rss", wk.RSS)
	w.u("vsz", wk.VSZ)
	w.u("running_time", wk.RunningTime)
	w.u("last_spawn", uint64(max(wk.LastSpawn, 0)))
	w.u("respawn_count", wk.RespawnCount)
	w.u("tx", wk.TX)
	w.u("avg_rt", wk.AvgRT)
	w.key("apps")
	w.open('[')
	w.close(']')
	w.key("cores")
	w.open('[')
	for _, c := range wk.Cores {
		w.sep()
		w.open('{')
		w.u("id", uint64(c.ID))
		w.u("requests", c.Requests)
		w.u("static_requests", c.StaticRequests)
		w.u("routed_requests", c.RoutedRequests)
		w.u("offloaded_requests", c.OffloadedRequests)
		w.u("write_errors", c.WriteErrors)
		w.u("read_errors", c.ReadErrors)
		w.u("in_request", b2u(c.InRequest))
		w.key("vars")
		w.open('[')
		if c.InRequest {
			// uWSGI lists every var of the request, then "". uwsgo keeps
			// the two the monitors show.
			for _, v := range []string{"REQUEST_METHOD=" + c.Method, "REQUEST_URI=" + c.URI, ""} {
				w.sep()
				w.b = strconv.AppendQuote(w.b, v)
			}
		}
		w.close(']')
		w.key("req_info")
		w.open('{')
		if c.InRequest {
			w.i("request_start", c.RequestStart)
		}
		w.close('}')
		w.close('}')
	}
	w.close(']')
	w.close('}')
}
