package master

import (
	"bufio"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/cores"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/internal/proc"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// SetUpSlot fills a worker's scoreboard slot as its process starts: its
// id and generation, which spawn of that id this is, and the requests its
// predecessors served (uWSGI's counters survive a respawn).
func SetUpSlot(ws *scoreboard.Worker, id int, gen, spawns, carried uint64) {
	ws.Requests.Store(carried)
	ws.ID.Store(uint32(id))
	ws.Generation.Store(gen)
	ws.LastSpawn.Store(time.Now().Unix())
	ws.RespawnCount.Store(spawns)
}

// spawn starts worker id of generation gen: the same binary and arguments,
// with the sockets, the scoreboard and one end of a control channel.
func (m *master) spawn(id int, gen uint64) (*child, error) {
	slot := m.freeSlot()
	if slot < 0 {
		return nil, fmt.Errorf("no free scoreboard slot")
	}
	carried, spawns := m.carriedRequests(id), m.respawns(id)+1 // before Reset: the slot may be the dead worker's
	m.board.Reset(slot)
	ws := m.board.Worker(slot)
	SetUpSlot(ws, id, gen, spawns, carried)

	m.log.Flush()
	pid, proc, ctrl, err := m.sys.start(m, id, slot, gen)
	if err != nil {
		return nil, err
	}
	c := &child{id: id, slot: slot, gen: gen, pid: pid, proc: proc, ctrl: ctrl, spawned: time.Now()}
	m.slotUsed[slot] = true
	ws.PID.Store(int64(c.pid))
	m.children[c.pid] = c
	m.sys.watch(m, c)
	m.log.Printf("spawned uWSGI worker %d (pid: %d, cores: %d)", id, c.pid, m.opts.Cores)
	return c, nil
}

// workerProc is what the master needs of a worker process: *os.Process, or a
// fake in the supervision unit tests.
type workerProc interface {
	Signal(os.Signal) error
	Wait() (*os.ProcessState, error)
}

// sysEnv is the master's seam to the operating system: starting a worker
// and watching it. Tests replace it with fakes driven by events.
type sysEnv struct {
	start func(m *master, id, slot int, gen uint64) (pid int, p workerProc, ctrl *os.File, err error)
	watch func(m *master, c *child)
}

var realSys = sysEnv{start: startWorkerProcess, watch: (*master).watch}

// watch reports the child's readiness and exit as events.
func (m *master) watch(c *child) {
	go func() {
		sc := bufio.NewScanner(c.ctrl)
		for sc.Scan() {
			switch msg := handoff.ParseMsg(sc.Text()); msg.Kind {
			case handoff.MsgReady:
				m.events <- event{kind: evReady, c: c}
			case handoff.MsgRecycle:
				m.events <- event{kind: evRecycle, c: c}
			case handoff.MsgNone, handoff.MsgSig, handoff.MsgResend: // not for the master
			default:
				m.events <- event{kind: evCtrl, c: c, msg: msg}
			}
		}
	}()
	go func() {
		st, _ := c.proc.Wait()
		process.UntrackChild(c.pid)
		m.events <- event{kind: evExit, c: c, state: st}
	}()
}

// respawns is how many times worker id was spawned so far (all slots).
func (m *master) respawns(id int) uint64 {
	var n uint64
	for i := range m.board.Slots() {
		if w := m.board.Worker(i); int(w.ID.Load()) == id {
			n = max(n, w.RespawnCount.Load())
		}
	}
	return n
}

// carriedRequests is worker id's request count so far: a respawned worker
// goes on counting from it, as uWSGI's per-worker "requests" does.
func (m *master) carriedRequests(id int) uint64 {
	var n uint64
	for i := range m.board.Slots() {
		if w := m.board.Worker(i); int(w.ID.Load()) == id {
			n = max(n, w.Requests.Load())
		}
	}
	return n
}

func (m *master) freeSlot() int {
	for i, used := range m.slotUsed {
		if !used {
			return i
		}
	}
	return -1
}

func (m *master) onEvent(ev event) {
	switch ev.kind {
	case evReady:
		m.onReady(ev.c)
	case evRecycle:
		m.recycle(ev.c, "it asked to")
	case evCtrl:
		m.onCtrl(ev.c, ev.msg)
	case evFS:
		m.onFS(ev.id)
	case evExit:
		m.onExit(ev.c, ev.state)
	case evRespawn:
		if m.stopping == nil {
			if _, err := m.spawn(ev.id, ev.gen); err != nil {
				m.log.Printf("uwsgi: respawning worker %d: %v", ev.id, err)
			}
		}
	}
}

func (m *master) onReady(c *child) {
	if _, alive := m.children[c.pid]; !alive || c.ready {
		return
	}
	c.ready = true
	if old, ok := m.replacing[c.pid]; ok {
		delete(m.replacing, c.pid)
		m.retire(func(o *child) bool { return o == old })
		return
	}
	if m.reload != nil && c.gen == m.reload.gen {
		m.rolloutProgress(c)
		return
	}
	m.notifyIfServing()
}

// notifyIfServing tells the service manager the instance is ready once
// every worker of the serving generation accepts.
func (m *master) notifyIfServing() {
	if m.reload != nil || m.stopping != nil || m.notify == nil || m.notify.ready {
		return
	}
	n := 0
	for _, c := range m.children {
		if c.gen == m.gen && c.ready && !c.retiring {
			n++
		}
	}
	if n >= len(m.activeIDs()) {
		m.notify.ReadyNow("")
	}
}

// onExit handles a dead worker: bury it, and respawn it unless it was meant
// to go or it belonged to a generation that failed to start.
func (m *master) onExit(c *child, st *os.ProcessState) {
	delete(m.children, c.pid)
	caches.RecoverCaches(c.pid)
	cores.ReleaseAcceptLocks(m.board, c.pid)
	m.slotUsed[c.slot] = false
	m.board.Worker(c.slot).PID.Store(0)
	m.board.Worker(c.slot).Accepting.Store(0)
	if c.ctrl != nil {
		c.ctrl.Close()
	}
	if old, ok := m.replacing[c.pid]; ok {
		delete(m.replacing, c.pid)
		old.recycling = false
		m.log.Printf("the replacement of worker %d (pid: %d) %s before accepting: worker %d keeps serving", c.id, c.pid, proc.DescribeExit(st), old.id)
		return
	}
	switch {
	case c.retiring || m.stopping != nil:
		m.log.Printf("worker %d buried after %d seconds", c.id, int(time.Since(c.spawned).Seconds()))
		return
	case m.reload != nil && c.gen == m.reload.gen && !c.ready:
		m.failRollout(fmt.Sprintf("worker %d (pid: %d) %s before accepting", c.id, c.pid, proc.DescribeExit(st)))
		return
	case m.replaced(c):
		return // a newer worker already covers its id
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		m.log.Printf("DAMN ! worker %d (pid: %d) died, killed by signal %d :( trying respawn ...", c.id, c.pid, ws.Signal())
	} else {
		m.log.Printf("DAMN ! worker %d (pid: %d) died :( trying respawn ...", c.id, c.pid)
	}
	gen := m.gen
	if c.gen > gen {
		gen = c.gen // a worker of the generation being rolled in
	}
	m.respawnLater(c.id, gen)
}

// replaced reports whether a newer worker with c's id is alive.
func (m *master) replaced(c *child) bool {
	for _, o := range m.children {
		if o.id == c.id && o.gen > c.gen && !o.retiring {
			return true
		}
	}
	return false
}

// respawnLater spawns worker id now, or after a pause when workers die too
// fast (uWSGI's fork-bomb guard, which sleeps the whole master; ours only
// delays this respawn).
func (m *master) respawnLater(id int, gen uint64) {
	delay := m.throttle.next(m.opts.Processes)
	if delay == 0 {
		if c, err := m.spawn(id, gen); err != nil {
			m.log.Printf("uwsgi: respawning worker %d: %v", id, err)
		} else {
			m.log.Printf("Respawned uWSGI worker %d (new pid: %d)", id, c.pid)
		}
		return
	}
	m.log.Printf("worker respawning too fast !!! i have to sleep a bit (%d seconds)...", int(delay.Seconds()))
	time.AfterFunc(delay, func() { m.events <- event{kind: evRespawn, id: id, gen: gen} })
}

// respawnThrottle counts respawns within one-second windows.
type respawnThrottle struct {
	window time.Time
	count  int
}

func (t *respawnThrottle) next(workers int) time.Duration {
	now := time.Now()
	if now.Sub(t.window) > time.Second {
		t.window, t.count = now, 0
	}
	t.count++
	if t.count > workers {
		t.window, t.count = now.Add(2*time.Second), 0
		return 2 * time.Second
	}
	return 0
}
