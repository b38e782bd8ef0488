package master

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/tlsconf"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"golang.org/x/sys/unix"
)

// A binary upgrade: when the executable on disk changed, a reload first
// rolls in a generation of workers started from the new binary, which
// proves the new binary starts. Then the master re-executes itself in place
// (same PID, so systemd and pidfiles stay right) with the listen sockets,
// the scoreboard and every worker's control channel kept open; the new
// master image adopts all the workers and retires the old generation.
//
// The state crosses the exec in UWSGO_MASTER_STATE:
//
//	gen=G;sockets=FD,FD;board=FD;caches=FD,FD;workers=ID:SLOT:GEN:PID:FD:READY:RETIRING,...

// binaryChanged reports whether the executable was replaced since start.
func (m *master) binaryChanged() bool {
	return socket.StatID(m.exe) != m.exeID
}

// reexec replaces the master's image with the binary on disk; gen is the
// generation that serves from now on. It returns only if the exec failed.
func (m *master) reexec(gen uint64) {
	m.log.Printf("binary %s changed on disk: reloading the master in place (pid: %d)...", m.exe, os.Getpid())
	m.daemons.StopForReexec() // the new image starts them again
	m.daemons = nil
	var keep []int
	defer func() { // reached only when the re-exec failed: this image goes on
		for _, fd := range keep {
			unix.CloseOnExec(fd) // no leak into the processes it starts
		}
		m.restartDaemons()
	}()
	st := handoff.MasterState{Gen: gen, Board: int(socket.RawFD(m.board.File())), TLS: -1, SocketList: socket.SpecsOf(m.sockets)}
	for _, s := range m.sockets {
		st.Sockets = append(st.Sockets, int(socket.HeldFD(s)))
	}
	for _, c := range caches.All() {
		st.Caches = append(st.Caches, int(socket.RawFD(c.File())))
	}
	keep = append(append(append(keep, st.Sockets...), st.Board), st.Caches...)
	if lm := m.logMaster; lm != nil {
		st.LogPipes = []int{int(socket.RawFD(lm.srvR)), int(socket.RawFD(lm.srvW)), -1, -1}
		if lm.reqR != nil {
			st.LogPipes[2], st.LogPipes[3] = int(socket.RawFD(lm.reqR)), int(socket.RawFD(lm.reqW))
		}
		for _, fd := range st.LogPipes {
			if fd >= 0 {
				keep = append(keep, fd)
			}
		}
	}
	if fd := m.notify.Vassal().execFD(); fd >= 0 {
		keep = append(keep, fd)
	}
	if m.tls != nil {
		st.TLS = int(socket.RawFD(m.tls.file))
		keep = append(keep, st.TLS)
	}
	for _, c := range m.children {
		fd := int(socket.RawFD(c.ctrl))
		keep = append(keep, fd)
		st.Workers = append(st.Workers, handoff.WorkerState{ID: c.id, Slot: c.slot, Gen: c.gen, PID: c.pid, Ctrl: fd, Ready: c.ready, Retiring: c.retiring})
	}
	for _, fd := range keep {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			m.log.Printf("uwsgi: binary reload: keeping fd %d open: %v", fd, err)
			return
		}
	}
	env := append(handoff.CleanEnv(), handoff.EnvMasterState+"="+st.Encode())
	env = append(env, m.notify.execEnv()...)
	m.log.Flush()
	err := syscall.Exec(m.exe, os.Args, env)
	m.log.Printf("uwsgi: binary reload of the master failed (%v): the running master goes on", err)
}

// restartDaemons starts the daemons again in this image, whose re-exec
// failed after it stopped them (uWSGI's failed exec ends its master; ours
// goes on, so its daemons must too).
func (m *master) restartDaemons() {
	if err := m.startDaemons(); err != nil {
		m.log.Printf("%v", err)
	}
}

// adopt takes over the state left by the previous master image.
func (m *master) adopt(state *handoff.MasterState) error {
	m.gen = state.Gen
	m.lastGen = m.gen
	specs := state.SocketList
	if specs == nil { // from an older master: the configuration's list
		var err error
		if specs, err = socket.SocketSpecs(m.cfg, ""); err != nil {
			return err
		}
	}
	fds := state.Sockets
	if len(fds) != len(specs) {
		return fmt.Errorf("inherited %d sockets, the previous master had %d", len(fds), len(specs))
	}
	for i, fd := range fds {
		sp := specs[i]
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), sp.Name)
		ln, err := net.FileListener(f) // a duplicate: f is closed once it is held
		if err != nil {
			f.Close()
			return fmt.Errorf("socket %s: %w", sp.Name, err)
		}
		network, addr := socket.SplitAddr(sp.Name)
		s := &socket.Socket{Index: i, Name: sp.Name, Kind: sp.Kind, Network: network, Addr: addr, Listener: ln, Activated: sp.Activated}
		err = socket.Hold(s)
		f.Close()
		if err != nil {
			return err
		}
		m.sockets = append(m.sockets, s)
		m.log.Printf("uwsgi socket %d inherited %s address %s fd %d", i, socket.NetworkName(m.sockets[i]), sp.Name, fd)
	}
	socket.MarkTLS(m.cfg, m.sockets)
	unix.CloseOnExec(state.Board)
	var err error
	if m.board, err = scoreboard.Open(os.NewFile(uintptr(state.Board), "scoreboard")); err != nil {
		return err
	}
	m.slotUsed = make([]bool, m.board.Slots())
	if err := m.adoptTLS(state.TLS); err != nil {
		return err
	}
	for _, w := range state.Workers {
		if err := m.adoptWorker(w); err != nil {
			return err
		}
	}
	return nil
}

func (m *master) adoptWorker(w handoff.WorkerState) error {
	unix.CloseOnExec(w.Ctrl)
	proc, err := os.FindProcess(w.PID)
	if err != nil {
		return err
	}
	c := &child{id: w.ID, slot: w.Slot, gen: w.Gen, pid: w.PID, proc: proc,
		ctrl: os.NewFile(uintptr(w.Ctrl), "control"), ready: w.Ready, retiring: w.Retiring, spawned: time.Now()}
	if c.retiring {
		c.deadline = time.Now().Add(m.opts.WorkerMercy)
	}
	if uint64(c.gen) > m.lastGen {
		m.lastGen = c.gen
	}
	process.TrackChild(c.pid)
	m.children[c.pid] = c
	m.slotUsed[c.slot] = true
	m.sys.watch(m, c)
	m.log.Printf("adopted uWSGI worker %d (pid: %d, generation %d)", c.id, c.pid, c.gen)
	return nil
}

// adoptTLS takes over the bundle of the previous master image (a binary
// upgrade keeps the certificates the workers run with).
func (m *master) adoptTLS(fd int) error {
	conf, err := tlsconf.ReadTLSConf(m.cfg)
	if err != nil || !conf.Enabled() {
		return err
	}
	if fd < 0 { // HTTPS sockets new in this image's configuration
		m.tls, err = loadTLSMaster(m.cfg, m.log)
		return err
	}
	unix.CloseOnExec(fd)
	m.tls = &tlsMaster{conf: conf, file: os.NewFile(uintptr(fd), "tls")}
	return nil
}
