package master

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/internal/sockaddr"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"github.com/uwsgo/uwsgo/uwsgi/stats"
)

// statsServer answers --stats (uWSGI's JSON, raw or over HTTP) and
// --stats-prometheus (Prometheus text over HTTP). It reads the scoreboard
// only, so asking for stats never slows a worker.
type statsServer struct {
	ln       net.Listener
	format   string // "json", "json-http", "prometheus"
	minified bool
	snap     func() *stats.Snapshot
	log      *logger.Logger
}

// StartStatsServers starts the configured stats endpoints.
func StartStatsServers(cfg *config.Config, log *logger.Logger, snap func() *stats.Snapshot) ([]*statsServer, error) {
	var out []*statsServer
	add := func(addr, format string) error {
		network := sockaddr.Network(addr)
		if network == "unix" && !strings.HasPrefix(addr, "@") {
			if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
				_ = os.Remove(addr) // left by a previous run or by the master before a binary reload
			}
		}
		ln, err := net.Listen(network, addr)
		if err != nil {
			return fmt.Errorf("uwsgi: stats server %s: %w", addr, err)
		}
		log.Printf("*** Stats server enabled on %s fd: %d ***", addr, socket.FDOf(ln))
		s := &statsServer{ln: ln, format: format, minified: cfg.Bool("stats-minified"), snap: snap, log: log}
		go s.serve()
		out = append(out, s)
		return nil
	}
	if addr := cfg.String("stats"); addr != "" {
		format := "json"
		if cfg.Bool("stats-http") {
			format = "json-http"
		}
		if err := add(addr, format); err != nil {
			return nil, err
		}
	}
	if addr := cfg.String("stats-prometheus"); addr != "" {
		if err := add(addr, "prometheus"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Close stops the stats server.
func (s *statsServer) Close() { _ = s.ln.Close() }

// serve answers one connection at a time, as uWSGI's master does.
func (s *statsServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.answer(c)
	}
}

func (s *statsServer) answer(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(4 * time.Second))
	if s.format != "json" {
		// Read the request (one read, as uWSGI's --stats-http); any request gets the document.
		br := bufio.NewReaderSize(c, 4096)
		if _, err := br.Peek(1); err != nil {
			return
		}
	}
	snap := s.snap()
	var body []byte
	var head string
	switch s.format {
	case "prometheus":
		body = stats.AppendPrometheus(nil, snap)
		head = "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	case "json-http":
		body = stats.AppendJSON(nil, snap, s.minified)
		head = "HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n"
	default:
		body = stats.AppendJSON(nil, snap, s.minified)
	}
	if head != "" {
		if _, err := c.Write([]byte(head)); err != nil {
			return
		}
	}
	_, _ = c.Write(body)
}

// Snapshot builds the stats of an instance from its scoreboard: for each
// worker id, the newest live slot (a retiring worker of an older generation
// is not shown).
func Snapshot(board *scoreboard.Board, sockets []*socket.Socket, workers int) *stats.Snapshot {
	wd, _ := os.Getwd()
	s := &stats.Snapshot{Version: config.Version, PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid(), CWD: wd}
	for _, c := range caches.All() {
		sp, st := c.Spec(), c.Stats()
		s.Caches = append(s.Caches, stats.Cache{Name: sp.Name, Hash: sp.Hash, HashSize: sp.HashSize, KeySize: sp.KeySize,
			MaxItems: sp.Items, Blocks: sp.Blocks, BlockSize: sp.BlockSize, Items: st.Items, Hits: st.Hits, Miss: st.Miss,
			Full: st.Full, LastModifiedAt: st.LastModified, LockHolder: st.LockHolder})
	}
	for _, so := range sockets {
		ss := stats.Socket{Name: so.Name, Proto: so.Proto(), MaxQueue: uint64(so.Backlog)}
		ss.Queue, ss.MaxQueue = socket.ListenQueue(so.Listener, ss.MaxQueue)
		s.ListenQueue = max(s.ListenQueue, ss.Queue)
		s.Sockets = append(s.Sockets, ss)
	}
	for id := 1; id <= workers; id++ {
		s.Workers = append(s.Workers, workerStats(board, id))
	}
	return s
}

// workerStats reads the newest slot of worker id.
func workerStats(board *scoreboard.Board, id int) stats.Worker {
	best := -1
	for i := range board.Slots() {
		w := board.Worker(i)
		if int(w.ID.Load()) != id {
			continue
		}
		if best < 0 || w.Generation.Load() > board.Worker(best).Generation.Load() ||
			(w.Generation.Load() == board.Worker(best).Generation.Load() && w.PID.Load() != 0) {
			best = i
		}
	}
	out := stats.Worker{ID: id, Status: "idle"}
	if best < 0 {
		return out
	}
	w := board.Worker(best)
	out.PID = int(w.PID.Load())
	if w.Status.Load() == scoreboard.StatusCheap {
		out.Status = "cheap"
	}
	out.Accepting = w.Accepting.Load() == 1
	out.Requests, out.DeltaRequests = w.Requests.Load(), w.DeltaRequests.Load()
	out.Exceptions, out.HarakiriCount, out.Signals = w.Exceptions.Load(), w.HarakiriCount.Load(), w.Signals.Load()
	out.RunningTime, out.LastSpawn, out.RespawnCount = w.RunningTime.Load(), w.LastSpawn.Load(), w.RespawnCount.Load()
	out.TX, out.AvgRT = w.TX.Load(), w.AvgRT.Load()
	if out.PID != 0 {
		out.RSS, out.VSZ = process.ProcessMemory(out.PID)
	}
	for j := range board.Cores() {
		c := board.Core(best, j)
		core := stats.Core{ID: j, Requests: c.Requests.Load(), StaticRequests: c.StaticRequests.Load(),
			RoutedRequests: c.RoutedRequests.Load(), OffloadedRequests: c.OffloadedRequests.Load(),
			WriteErrors: c.WriteErrors.Load(), ReadErrors: c.ReadErrors.Load(), InRequest: c.InRequest.Load() == 1}
		if core.InRequest {
			core.RequestStart = c.RequestStart.Load() / 1e6
			core.Method, core.URI = c.Request()
			out.Status = "busy"
		}
		out.Cores = append(out.Cores, core)
	}
	return out
}
