package master

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/hooks"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// setupStep is one step of the master's start. A step that fails ends
// the start: its error is logged (errLogged: it was already), and with
// kill the workers spawned so far are killed.
type setupStep struct {
	run  func() error
	kill bool
}

// errLogged is a failed step that logged why itself (the fatal hooks).
var errLogged = errors.New("logged")

// setup binds (or, after a re-exec, adopts) the sockets and the workers:
// the steps of setupSteps, in order.
func (m *master) setup() (int, bool) {
	for _, st := range m.setupSteps() {
		if err := st.run(); err != nil {
			if err != errLogged {
				m.log.Printf("%v", err)
			}
			if st.kill {
				m.killAll(syscall.SIGKILL)
			}
			return 1, false
		}
	}
	return 0, true
}

// setupSteps are the steps of a first start, or of a master image that
// replaced another (a binary upgrade: it adopts the sockets and workers
// it was left, and what fails after the adoption is only logged: the
// workers serve already).
func (m *master) setupSteps() []setupStep {
	steps := []setupStep{{run: m.findBinary}, {run: m.openCaches}}
	if m.state != nil {
		return append(steps, setupStep{run: m.adoptState})
	}
	fatal := func(f func() error) setupStep { return setupStep{run: f, kill: true} }
	return append(steps,
		setupStep{run: m.bindSockets},
		setupStep{run: m.createBoard},
		setupStep{run: m.dropPrivileges},
		// The touch files' state is taken before the first worker starts:
		// a touch once a worker runs reloads (taken after, a touch while
		// the workers start was missed).
		setupStep{run: func() error { m.initTouch(); return nil }},
		fatal(m.spawnAll),
		fatal(m.hook("master-start")),
		fatal(m.startDaemons),
		fatal(m.startStats),
		fatal(m.startSubscriptions),
		fatal(m.configureFS),
		fatal(m.configureSignals),
	)
}

func (m *master) findBinary() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("uwsgi: cannot find my own binary: %v", err)
	}
	m.exe, m.exeID = exe, socket.StatID(exe)
	return nil
}

func (m *master) openCaches() error {
	if m.state != nil {
		caches.Adopt(m.state.Caches)
	}
	list, err := caches.Caches(m.cfg)
	if err != nil {
		return err
	}
	caches.SetCacheLoggers(list, m.log)
	m.cacheStop = make(chan struct{})
	caches.StartCacheDuties(m.cfg, m.log, m.cacheStop)
	return nil
}

// adoptState takes over what the previous master image left; only the
// adoption itself can fail the start.
func (m *master) adoptState() error {
	if err := m.adopt(m.state); err != nil {
		return fmt.Errorf("uwsgi: after binary reload: %v", err)
	}
	m.log.Printf("gracefully (RE)spawned uWSGI master process (pid: %d)", os.Getpid())
	m.retire(func(o *child) bool { return o.gen < m.gen })
	m.initTouch()
	// the re-exec stopped the dumb daemons; a live smart one is watched again
	for _, f := range []func() error{m.startDaemons, m.startStats, m.startSubscriptions, m.configureFS, m.configureSignals} {
		if err := f(); err != nil {
			m.log.Printf("%v", err)
		}
	}
	for _, c := range m.children {
		if !c.retiring {
			_ = m.sendCtrl(c, handoff.Msg{Kind: handoff.MsgResend}, true) // their signal registrations
		}
	}
	m.notify.ReadyNow("") // the binary upgrade's rollout proved the workers accept
	return nil
}

func (m *master) bindSockets() error {
	m.notify.Starting()
	var err error
	if m.sockets, err = socket.BindAll(m.cfg, m.opts.Sockets, m.log); err != nil {
		return err
	}
	for _, s := range m.sockets {
		if err := socket.Hold(s); err != nil {
			return fmt.Errorf("uwsgi: socket %s: %v", s.Name, err)
		}
	}
	m.tls, err = loadTLSMaster(m.cfg, m.log)
	return err
}

// createBoard makes the scoreboard: slots for the workers, their
// replacements during a reload or a recycle, and retiring ones still
// draining.
func (m *master) createBoard() error {
	var err error
	if m.board, err = scoreboard.Create(4*m.opts.Processes, m.opts.Cores); err != nil {
		return fmt.Errorf("uwsgi: %v", err)
	}
	m.slotUsed = make([]bool, m.board.Slots())
	m.writePidfiles()
	return nil
}

func (m *master) dropPrivileges() error {
	if !hooks.DropPrivilegesWithHooks(m.cfg, m.opts, m.log) || !hooks.RunFatalHooks(m.cfg, m.log, "pre-app") || !hooks.RunFatalHooks(m.cfg, m.log, "post-app") {
		return errLogged
	}
	return nil
}

// spawnAll starts the first generation's workers (those cheaper mode
// does not hold back).
func (m *master) spawnAll() error {
	m.log.Printf("spawned uWSGI master process (pid: %d)", os.Getpid())
	m.gen, m.lastGen = 1, 1
	if m.opts.Cheaper > 0 {
		for id := m.opts.CheaperInitial + 1; id <= m.opts.Processes; id++ {
			m.cheap.cheaped[id] = true
		}
	}
	for _, id := range m.activeIDs() {
		if _, err := m.spawn(id, m.gen); err != nil {
			return fmt.Errorf("uwsgi: spawning worker %d: %v", id, err)
		}
	}
	return nil
}

func (m *master) hook(phase string) func() error {
	return func() error {
		if !hooks.RunFatalHooks(m.cfg, m.log, phase) {
			return errLogged
		}
		return nil
	}
}

func (m *master) startDaemons() error {
	var err error
	m.daemons, err = StartDaemons(m.cfg, m.log, m.opts.ReloadMercy)
	return err
}
