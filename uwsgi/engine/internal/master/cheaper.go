package master

import (
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// cheaperState is the adaptive workers' memory.
type cheaperState struct {
	cheaped  map[int]bool // worker ids stopped on purpose
	overload int          // spare
	idle     int          // spare
	busy     busyness
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

// checkCheaper runs the --cheaper-algo once per master cycle.
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
	var n int
	switch m.opts.CheaperAlgo {
	case "backlog":
		n = m.cheaperBacklog(active)
	case "busyness":
		n = m.cheap.busy.run(m, active, time.Now())
	case "manual":
		return
	default:
		m.checkSpare(active)
		return
	}
	switch {
	case n > 0:
		m.cheaperSpawn(n, "the cheaper algorithm asked for more")
	case n < 0 && len(active) > m.opts.Cheaper:
		m.cheaperStop(m.cheapCandidate(active))
	}
}

// cheaperBacklog is uWSGI's backlog algorithm: a listen queue longer than
// --cheaper-overload starts --cheaper-step workers, a shorter one stops
// one (down to --cheaper).
func (m *master) cheaperBacklog(active []*child) int {
	q := int(m.listenBacklog())
	switch {
	case q > m.opts.CheaperOverload && len(active) < m.opts.Processes:
		m.log.Printf("cheaper: %d requests in the listen queue (> %d)", q, m.opts.CheaperOverload)
		return m.opts.CheaperStep
	case q < m.opts.CheaperOverload && len(active) > m.opts.Cheaper:
		return -1
	}
	return 0
}

// cheapCandidate is the worker to stop: the oldest idle one, else the
// newest.
func (m *master) cheapCandidate(active []*child) *child {
	var idle, newest *child
	for _, c := range active {
		if !m.busy(c) && (idle == nil || c.spawned.Before(idle.spawned)) {
			idle = c
		}
		if newest == nil || c.spawned.After(newest.spawned) {
			newest = c
		}
	}
	if idle != nil {
		return idle
	}
	return newest
}

// checkSpare runs the spare algorithm (uWSGI 2.0's default): when every
// running worker was busy for more than --cheaper-overload cycles, start
// up to --cheaper-step more; when more than one was idle for
// --cheaper-overload cycles, stop the oldest idle one, down to --cheaper.
func (m *master) checkSpare(active []*child) {
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
		m.cheaperSpawn(m.opts.CheaperStep, "all workers busy")
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
func (m *master) cheaperSpawn(n int, why string) {
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
		m.log.Printf("cheaper: %s, started worker %d", why, id)
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
