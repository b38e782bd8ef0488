package engine

import (
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// cheaperState is the spare algorithm's memory (uWSGI 2.0's default).
type cheaperState struct {
	cheaped  map[int]bool // worker ids stopped on purpose
	overload int
	idle     int
}

// activeIDs are the worker ids that should run.
func (m *master) activeIDs() []int {
	var ids []int
	for id := 1; id <= m.opts.Processes; id++ {
		if !m.cheap.cheaped[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// busy reports whether worker c serves a request now.
func (m *master) busy(c *child) bool {
	for j := range m.board.Cores() {
		if m.board.Core(c.slot, j).InRequest.Load() == 1 {
			return true
		}
	}
	return false
}

// checkCheaper runs the spare algorithm once per cycle: when every running
// worker was busy for more than --cheaper-overload cycles, start up to
// --cheaper-step more; when more than one was idle for --cheaper-overload
// cycles, stop the oldest idle one, down to --cheaper.
func (m *master) checkCheaper() {
	if m.opts.Cheaper == 0 || m.reload != nil || m.stopping != nil {
		return
	}
	var active []*child
	for _, c := range m.children {
		if !c.retiring && c.ready && !m.cheap.cheaped[c.id] {
			active = append(active, c)
		}
	}
	idle := 0
	var oldestIdle *child
	for _, c := range active {
		if !m.busy(c) {
			idle++
			if oldestIdle == nil || c.spawned.Before(oldestIdle.spawned) {
				oldestIdle = c
			}
		}
	}
	st := &m.cheap
	if len(active) > 0 && idle == 0 {
		st.overload++
	} else if st.overload > 0 {
		st.overload--
	}
	switch {
	case st.overload > m.opts.CheaperOverload:
		st.overload = 0
		m.cheaperSpawn(m.opts.CheaperStep)
	case st.overload == 0 && idle > 1:
		if st.idle++; st.idle >= m.opts.CheaperOverload && len(active) > m.opts.Cheaper {
			st.idle = 0
			m.cheaperStop(oldestIdle)
		}
	default:
		st.idle = 0
	}
}

// cheaperSpawn starts up to n of the cheaped workers.
func (m *master) cheaperSpawn(n int) {
	for id := 1; id <= m.opts.Processes && n > 0; id++ {
		if !m.cheap.cheaped[id] {
			continue
		}
		delete(m.cheap.cheaped, id)
		n--
		if _, err := m.spawn(id, m.gen); err != nil {
			m.log.Printf("uwsgi: cheaper: spawning worker %d: %v", id, err)
			m.cheap.cheaped[id] = true
			return
		}
		m.log.Printf("cheaper: all workers busy, started worker %d", id)
	}
}

// cheaperStop retires worker c and marks its id cheap.
func (m *master) cheaperStop(c *child) {
	if c == nil {
		return
	}
	m.cheap.cheaped[c.id] = true
	m.board.Worker(c.slot).Status.Store(scoreboard.StatusCheap)
	m.log.Printf("cheaper: worker %d (pid: %d) idle: going cheap", c.id, c.pid)
	m.retire(func(o *child) bool { return o == c })
}
