package master

import (
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
)

// recycle replaces worker c without dropping a request: a new worker with
// the same id starts, and c is retired once the new one accepts.
func (m *master) recycle(c *child, why string) {
	if _, alive := m.children[c.pid]; !alive || c.retiring || c.recycling || m.stopping != nil {
		return
	}
	c.wantsRecycle = true
	if m.reload != nil || m.freeSlot() < 0 {
		return // checkHealth tries again once the reload ended or a slot freed
	}
	c.wantsRecycle = false
	c.recycling = true
	m.log.Printf("recycling worker %d (pid: %d): %s", c.id, c.pid, why)
	n, err := m.spawn(c.id, c.gen)
	if err != nil {
		c.recycling = false
		m.log.Printf("uwsgi: recycling worker %d: %v", c.id, err)
		return
	}
	m.replacing[n.pid] = c
}

// checkHealth runs once a second: harakiri's second stage and
// --max-worker-lifetime.
func (m *master) checkHealth(now time.Time) {
	nowMicro := now.UnixMicro()
	for _, c := range m.children {
		if c.killed {
			continue
		}
		if c.wantsRecycle {
			m.recycle(c, "it asked to")
		}
		if m.opts.Harakiri > 0 {
			for j := range m.board.Cores() {
				core := m.board.Core(c.slot, j)
				d := core.HarakiriDeadline.Load()
				if d == 0 || nowMicro < d+m.opts.HarakiriGrace.Microseconds() {
					continue
				}
				method, uri := core.Request()
				m.log.Printf("*** HARAKIRI ON WORKER %d (pid: %d, try: 1) ***", c.id, c.pid)
				m.log.Printf("HARAKIRI [core %d] %s %s since %d", j, method, uri, core.RequestStart.Load()/1e6)
				m.board.Worker(c.slot).HarakiriCount.Add(1)
				c.killed = true
				_ = c.proc.Signal(syscall.SIGKILL)
				break
			}
		}
		if lim := m.opts.EvilReloadOnRSS; lim > 0 && !c.killed {
			if rss, _ := process.ProcessMemory(c.pid); rss >= lim {
				m.log.Printf("*** EVIL RELOAD ON WORKER %d RSS: %d (pid: %d) ***", c.id, rss, c.pid)
				c.killed = true
				_ = c.proc.Signal(syscall.SIGKILL)
				continue
			}
		}
		if lim := m.opts.EvilReloadOnAS; lim > 0 && !c.killed && c.ready {
			if _, vsz := process.ProcessMemory(c.pid); vsz >= lim {
				m.log.Printf("*** EVIL RELOAD ON WORKER %d ADDRESS SPACE: %d (pid: %d) ***", c.id, vsz, c.pid)
				c.killed = true
				_ = c.proc.Signal(syscall.SIGKILL)
				continue
			}
		}
		if lt := m.opts.MaxWorkerLifetime; lt > 0 && c.ready && !c.retiring && !c.killed {
			if now.Sub(c.spawned) > lt+time.Duration(c.id-1)*m.opts.LifetimeDelta {
				m.recycle(c, "max worker lifetime reached")
			}
		}
	}
}
