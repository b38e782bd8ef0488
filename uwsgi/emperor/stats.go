package emperor

import (
	"encoding/json"
	"net"
	"os"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/internal/sockaddr"
)

// statsServer serves the Emperor's stats JSON (--emperor-stats): one
// document per connection, then close, as uWSGI's.
type statsServer struct {
	ln   net.Listener
	reqs chan chan []byte
}

func startStats(addr string, e *emperor) (*statsServer, error) {
	ln, err := net.Listen(sockaddr.Network(addr), addr)
	if err != nil {
		return nil, err
	}
	s := &statsServer{ln: ln, reqs: make(chan chan []byte)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			reply := make(chan []byte, 1)
			s.reqs <- reply
			_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			_, _ = c.Write(<-reply)
			c.Close()
		}
	}()
	return s, nil
}

func (s *statsServer) close() { s.ln.Close() }

// statsRequests is the channel of stats requests (nil without a server).
func statsRequests(s *statsServer) chan chan []byte {
	if s == nil {
		return nil
	}
	return s.reqs
}

// The document, with uWSGI 2.0's keys in its order (2.1 adds suspended,
// adopted and attrs to each vassal); times are Unix seconds.
type statsDoc struct {
	Version       string           `json:"version"`
	PID           int              `json:"pid"`
	UID           int              `json:"uid"`
	GID           int              `json:"gid"`
	Cwd           string           `json:"cwd"`
	Emperor       []string         `json:"emperor"`
	EmperorTyrant int              `json:"emperor_tyrant"`
	ThrottleLevel int64            `json:"throttle_level"`
	Vassals       []statsVassal    `json:"vassals"`
	Blacklist     []statsBlacklist `json:"blacklist"`
}

type statsVassal struct {
	ID            string `json:"id"`
	PID           int    `json:"pid"`
	Born          int64  `json:"born"`
	LastMod       int64  `json:"last_mod"`
	LastHeartbeat int64  `json:"last_heartbeat"`
	Loyal         int    `json:"loyal"`
	Ready         int    `json:"ready"`
	Accepting     int    `json:"accepting"`
	LastLoyal     int64  `json:"last_loyal"`
	LastReady     int64  `json:"last_ready"`
	LastAccepting int64  `json:"last_accepting"`
	FirstRun      int64  `json:"first_run"`
	LastRun       int64  `json:"last_run"`
	Cursed        int64  `json:"cursed"`
	Zerg          int    `json:"zerg"`
	OnDemand      string `json:"on_demand"`
	UID           int    `json:"uid"`
	GID           int    `json:"gid"`
	Monitor       string `json:"monitor"`
	Respawns      int    `json:"respawns"`
}

type statsBlacklist struct {
	ID            string `json:"id"`
	ThrottleLevel int64  `json:"throttle_level"`
	Attempt       int    `json:"attempt"`
	FirstAttempt  int64  `json:"first_attempt"`
	LastAttempt   int64  `json:"last_attempt"`
}

func unix0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *emperor) statsJSON() []byte {
	cwd, _ := os.Getwd()
	d := statsDoc{Version: config.Version, PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid(), Cwd: cwd,
		Emperor: e.o.Monitors, EmperorTyrant: b2i(e.o.Tyrant), ThrottleLevel: int64(e.o.Throttle / time.Second),
		Vassals: []statsVassal{}, Blacklist: []statsBlacklist{}}
	for _, v := range e.sorted() {
		sv := statsVassal{ID: v.name, PID: -1, LastMod: unix0(v.mtime), FirstRun: unix0(v.firstRun), LastRun: unix0(v.lastRun),
			UID: v.uid, GID: v.gid, Monitor: v.monitor, Respawns: v.respawns}
		if r := v.run; r != nil {
			sv.PID, sv.Born, sv.LastHeartbeat = r.pid, unix0(r.born), unix0(r.lastHeartbeat)
			sv.Loyal, sv.Ready, sv.Accepting = b2i(r.loyal), b2i(r.ready), b2i(r.accepting)
			sv.LastLoyal, sv.LastReady, sv.LastAccepting = unix0(r.lastLoyal), unix0(r.lastReady), unix0(r.lastAccepting)
			sv.Cursed = unix0(r.cursedAt)
			if sv.Cursed == 0 {
				sv.Cursed = unix0(r.stopAt)
			}
		}
		d.Vassals = append(d.Vassals, sv)
		if v.throttle > 0 {
			d.Blacklist = append(d.Blacklist, statsBlacklist{ID: v.name, ThrottleLevel: int64(v.throttle / time.Second),
				Attempt: v.attempts, FirstAttempt: unix0(v.firstAttempt), LastAttempt: unix0(v.lastAttempt)})
		}
	}
	b, _ := json.Marshal(d)
	return b
}
