package master

import (
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/proto"
)

// rollout is a reload in progress: a new generation of workers starts, and
// the old one is retired once every new worker accepts (or, in a chain
// reload, worker by worker).
type rollout struct {
	gen      uint64
	chain    bool
	next     int   // chain: the index in chainIDs of the worker being replaced
	chainIDs []int // chain: the worker ids to replace, in order
	started  time.Time
	deadline time.Time
}

// requestReload starts a graceful reload, or queues one if a reload runs.
func (m *master) requestReload(chain bool, why string) {
	if m.stopping != nil {
		return
	}
	if m.cfg.Bool("log-reopen") {
		m.logMaster.reopen(m.log)
	}
	if m.cfg.Bool("exit-on-reload") {
		m.log.Printf("%s: --exit-on-reload: stopping instead of reloading", why)
		m.shutdown(true)
		return
	}
	if m.reload != nil {
		m.log.Printf("%s: a reload is in progress; another one will follow it", why)
		m.queued = &rollout{chain: chain}
		return
	}
	m.notify.reloading(why)
	if m.cfg.Bool("unsubscribe-on-graceful-reload") {
		m.announce(proto.Unsubscribe)
	}
	if chain {
		m.log.Printf("%s: chain reload starting...", why)
	} else {
		m.log.Printf("%s: ...gracefully reloading workers (replace, then retire)...", why)
	}
	if m.tls != nil {
		m.tls.reload(m.log)
	}
	m.startRollout(chain)
}

// startRollout spawns the next generation (all of it, or its first worker
// in a chain reload).
func (m *master) startRollout(chain bool) {
	m.lastGen++
	now := time.Now()
	m.reload = &rollout{gen: m.lastGen, chain: chain, started: now, deadline: now.Add(m.opts.WorkerMercy)}
	ids := m.activeIDs()
	if chain && len(ids) > 0 {
		ids = ids[:1]
	}
	m.reload.chainIDs = m.activeIDs()
	for _, id := range ids {
		if _, err := m.spawn(id, m.reload.gen); err != nil {
			m.failRollout("spawning worker failed: " + err.Error())
			return
		}
	}
}

// rolloutProgress is called when worker c of the new generation accepts.
func (m *master) rolloutProgress(c *child) {
	r := m.reload
	if r.chain {
		m.retire(func(o *child) bool { return o.id == c.id && o.gen < r.gen })
		if r.next+1 >= len(r.chainIDs) {
			m.log.Printf("chain reloading complete")
			if m.binaryChanged() {
				m.reexec(r.gen)
			}
			m.finishRollout()
			return
		}
		r.next++
		r.deadline = time.Now().Add(m.opts.WorkerMercy)
		id := r.chainIDs[r.next]
		m.log.Printf("chain next victim is worker %d", id)
		if _, err := m.spawn(id, r.gen); err != nil {
			m.failRollout("spawning worker failed: " + err.Error())
		}
		return
	}
	for _, o := range m.children {
		if o.gen == r.gen && !o.ready {
			return
		}
	}
	m.log.Printf("generation %d is accepting (after %v): retiring the old workers", r.gen, time.Since(r.started).Round(time.Millisecond))
	if m.binaryChanged() {
		// The new binary proved it starts: upgrade the master too. The new
		// master image retires the old generation once it has adopted it.
		m.reexec(r.gen) // returns only if the re-exec failed
	}
	m.retire(func(o *child) bool { return o.gen < r.gen })
	m.finishRollout()
}

// retire asks the matching workers to finish their requests and exit.
func (m *master) retire(match func(*child) bool) {
	deadline := time.Now().Add(m.opts.WorkerMercy)
	for _, o := range m.children {
		if match(o) && !o.retiring {
			o.retiring = true
			o.deadline = deadline
			_ = o.proc.Signal(syscall.SIGHUP)
		}
	}
}

func (m *master) finishRollout() {
	m.gen = m.reload.gen
	m.reload = nil
	m.notify.ReadyNow("")
	if q := m.queued; q != nil {
		m.queued = nil
		m.requestReload(q.chain, "queued reload")
	}
}

// failRollout abandons a generation that did not start: its workers are
// killed and the old ones keep serving.
func (m *master) failRollout(why string) {
	r := m.reload
	if r == nil {
		return
	}
	m.log.Printf("!!! the new generation %d failed to start: %s; the workers of the previous generation keep serving !!!", r.gen, why)
	for _, c := range m.children {
		if c.gen == r.gen {
			c.retiring = true
			_ = c.proc.Signal(syscall.SIGKILL)
		}
	}
	m.reload = nil
	m.queued = nil
	m.notify.ReadyNow("uWSGI is ready (the new generation failed to start; the previous one serves)")
}
