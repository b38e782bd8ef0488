package master

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	processpkg "github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
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
	m.daemons.Stop() // the new image starts them again
	m.daemons = nil
	var b strings.Builder
	fmt.Fprintf(&b, "gen=%d;sockets=", gen)
	var keep []int
	for i, f := range m.files {
		if i > 0 {
			b.WriteByte(',')
		}
		fd := int(socket.RawFD(f))
		keep = append(keep, fd)
		fmt.Fprintf(&b, "%d", fd)
	}
	bfd := int(socket.RawFD(m.board.File()))
	keep = append(keep, bfd)
	fmt.Fprintf(&b, ";board=%d;caches=", bfd)
	for i, c := range caches.TheCaches.List {
		fd := int(socket.RawFD(c.File()))
		keep = append(keep, fd)
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", fd)
	}
	if lm := LogMasterState; lm != nil {
		fds := []int{int(socket.RawFD(lm.srvR)), int(socket.RawFD(lm.srvW)), -1, -1}
		if lm.reqR != nil {
			fds[2], fds[3] = int(socket.RawFD(lm.reqR)), int(socket.RawFD(lm.reqW))
		}
		fmt.Fprintf(&b, ";logpipes=%d,%d,%d,%d", fds[0], fds[1], fds[2], fds[3])
		for _, fd := range fds {
			if fd >= 0 {
				keep = append(keep, fd)
			}
		}
	}
	if fd := m.notify.Vassal().execFD(); fd >= 0 {
		keep = append(keep, fd)
	}
	b.WriteString(";socklist=" + handoff.EncodeSockets(socket.SpecsOf(m.sockets)))
	if m.tls != nil {
		fd := int(socket.RawFD(m.tls.file))
		keep = append(keep, fd)
		fmt.Fprintf(&b, ";tls=%d", fd)
	}
	b.WriteString(";workers=")
	first := true
	for _, c := range m.children {
		fd := int(socket.RawFD(c.ctrl))
		keep = append(keep, fd)
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%d:%d:%d:%d:%d:%d:%d", c.id, c.slot, c.gen, c.pid, fd, handoff.BoolInt(c.ready), handoff.BoolInt(c.retiring))
	}
	for _, fd := range keep {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			m.log.Printf("uwsgi: binary reload: keeping fd %d open: %v", fd, err)
			return
		}
	}
	env := append(handoff.CleanEnv(), handoff.EnvMasterState+"="+b.String())
	env = append(env, m.notify.execEnv()...)
	m.log.Flush()
	err := syscall.Exec(m.exe, os.Args, env)
	m.log.Printf("uwsgi: binary reload of the master failed (%v): the running master goes on", err)
}

// adopt takes over the state left by the previous master image.
func (m *master) adopt() error {
	state := os.Getenv(handoff.EnvMasterState)
	os.Unsetenv(handoff.EnvMasterState)
	fields := map[string]string{}
	for _, kv := range strings.Split(state, ";") {
		k, v, _ := strings.Cut(kv, "=")
		fields[k] = v
	}
	var err error
	if m.gen, err = strconv.ParseUint(fields["gen"], 10, 64); err != nil {
		return fmt.Errorf("bad state %q", state)
	}
	m.lastGen = m.gen
	specs, err := socket.SocketSpecs(m.cfg, fields["socklist"])
	if err != nil {
		return err
	}
	fds := handoff.SplitInts(fields["sockets"])
	if len(fds) != len(specs) {
		return fmt.Errorf("inherited %d sockets, the previous master had %d", len(fds), len(specs))
	}
	for i, fd := range fds {
		sp := specs[i]
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), sp.Name)
		m.files = append(m.files, f)
		ln, err := socket.ListenerFromFile(f)
		if err != nil {
			return fmt.Errorf("socket %s: %w", sp.Name, err)
		}
		network, addr := socket.SplitAddr(sp.Name)
		m.sockets = append(m.sockets, &socket.Socket{Index: i, Name: sp.Name, Kind: sp.Kind, Network: network, Addr: addr, Listener: ln, Activated: sp.Activated})
		m.log.Printf("uwsgi socket %d inherited %s address %s fd %d", i, socket.NetworkName(m.sockets[i]), sp.Name, fd)
	}
	socket.MarkTLS(m.cfg, m.sockets)
	bfd := handoff.SplitInts(fields["board"])
	if len(bfd) != 1 {
		return fmt.Errorf("no scoreboard in state %q", state)
	}
	unix.CloseOnExec(bfd[0])
	if m.board, err = scoreboard.Open(os.NewFile(uintptr(bfd[0]), "scoreboard")); err != nil {
		return err
	}
	m.slotUsed = make([]bool, m.board.Slots())
	if err := m.adoptTLS(fields["tls"]); err != nil {
		return err
	}
	for _, w := range strings.Split(fields["workers"], ",") {
		if w == "" {
			continue
		}
		if err := m.adoptWorker(w); err != nil {
			return err
		}
	}
	return nil
}

func (m *master) adoptWorker(spec string) error {
	v := handoff.SplitIntsSep(spec, ":")
	if len(v) != 7 {
		return fmt.Errorf("bad worker %q", spec)
	}
	unix.CloseOnExec(v[4])
	proc, err := os.FindProcess(v[3])
	if err != nil {
		return err
	}
	c := &child{id: v[0], slot: v[1], gen: uint64(v[2]), pid: v[3], proc: proc,
		ctrl: os.NewFile(uintptr(v[4]), "control"), ready: v[5] == 1, retiring: v[6] == 1, spawned: time.Now()}
	if c.retiring {
		c.deadline = time.Now().Add(m.opts.WorkerMercy)
	}
	if uint64(c.gen) > m.lastGen {
		m.lastGen = c.gen
	}
	processpkg.TrackChild(c.pid)
	m.children[c.pid] = c
	m.slotUsed[c.slot] = true
	m.sys.watch(m, c)
	m.log.Printf("adopted uWSGI worker %d (pid: %d, generation %d)", c.id, c.pid, c.gen)
	return nil
}

// adoptTLS takes over the bundle of the previous master image (a binary
// upgrade keeps the certificates the workers run with).
func (m *master) adoptTLS(field string) error {
	conf, err := tlsconf.ReadTLSConf(m.cfg)
	if err != nil || !conf.Enabled() {
		return err
	}
	fds := handoff.SplitInts(field)
	if len(fds) != 1 { // HTTPS sockets new in this image's configuration
		m.tls, err = loadTLSMaster(m.cfg, m.log)
		return err
	}
	unix.CloseOnExec(fds[0])
	m.tls = &tlsMaster{conf: conf, file: os.NewFile(uintptr(fds[0]), "tls")}
	return nil
}
