package master

import (
	"bufio"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"golang.org/x/sys/unix"
)

// readMsg reads the next message the master sent to a worker's end.
func readMsg(t *testing.T, r *bufio.Reader) handoff.Msg {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("control channel: %v", err)
	}
	return handoff.ParseMsg(line[:len(line)-1])
}

// The workers' messages reach the master through the real watch (one
// reader per control channel, events to the loop), and a raised signal
// reaches every worker of its target as a message: a registration, then
// a raise, played by the test as the first worker.
func TestCtrlRegisterAndRoute(t *testing.T) {
	fm := newFakeMasterCtrl(t, 2, (*master).watch)
	var ends []*bufio.Reader
	var first *os.File
	for _, c := range fm.children {
		if c.id == 1 {
			first = fm.ends[c.pid]
		}
	}
	for _, c := range []int{1, 2} {
		for _, ch := range fm.children {
			if ch.id == c {
				ends = append(ends, bufio.NewReader(fm.ends[ch.pid]))
			}
		}
	}
	for _, m := range []handoff.Msg{{Kind: handoff.MsgRegister, Signum: 5, Target: "workers"}, {Kind: handoff.MsgSignal, Signum: 5}} {
		if err := handoff.Send(first, m); err != nil {
			t.Fatal(err)
		}
		ev := <-fm.events // what watch read, as the loop gets it
		if ev.kind != evCtrl || ev.msg != m {
			t.Fatalf("event %+v, want the message %+v", ev, m)
		}
		fm.onEvent(ev)
	}
	if fm.sig.targets[5] != "workers" {
		t.Fatalf("target of signal 5: %q", fm.sig.targets[5])
	}
	for i, r := range ends {
		if m := readMsg(t, r); m.Kind != handoff.MsgSig || m.Signum != 5 {
			t.Fatalf("worker %d got %+v, want sig 5", i+1, m)
		}
	}
}

// A timer fires on the master's tick once its period passed, and only
// then, with time itself faked (testing/synctest): no real sleep.
func TestTimerFiresOnTheTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fm := newFakeMasterCtrl(t, 1, func(*master, *child) {})
		var r *bufio.Reader
		for _, c := range fm.children {
			r = bufio.NewReader(fm.ends[c.pid])
		}
		fm.onCtrl(fm.anyChild(), handoff.Msg{Kind: handoff.MsgRegister, Signum: 9, Target: "worker"})
		fm.onCtrl(fm.anyChild(), handoff.Msg{Kind: handoff.MsgTimer, Signum: 9, Seconds: 3, Iterations: 2})
		fm.onCtrl(fm.anyChild(), handoff.Msg{Kind: handoff.MsgTimer, Signum: 9, Seconds: 3, Iterations: 2}) // another worker's: one timer
		if len(fm.sig.timers) != 1 {
			t.Fatalf("%d timers, want 1", len(fm.sig.timers))
		}
		fired := 0
		for range 10 { // 10 ticks of one second: the timer fires at 3 and 6, then its 2 iterations are done
			time.Sleep(time.Second)
			fm.onTick()
		}
		for r.Buffered() > 0 || fm.pending() {
			if m := readMsg(t, r); m.Kind != handoff.MsgSig || m.Signum != 9 {
				t.Fatalf("got %+v, want sig 9", m)
			}
			fired++
		}
		if fired != 2 {
			t.Fatalf("the timer fired %d times, want 2", fired)
		}
	})
}

func (fm *fakeMaster) anyChild() *child {
	for _, c := range fm.children {
		return c
	}
	return nil
}

// pending reports whether the master wrote something the test's end has
// not read (the only worker's end).
func (fm *fakeMaster) pending() bool {
	for _, f := range fm.ends {
		var n int
		n, _ = unixInq(f)
		return n > 0
	}
	return false
}

// unixInq is the number of bytes waiting in a socket's receive queue.
func unixInq(f *os.File) (int, error) {
	return unix.IoctlGetInt(int(f.Fd()), unix.SIOCINQ)
}

// Harakiri's second stage: the master kills a worker whose request is
// still running --harakiri-graceful-timeout after its deadline, and not
// before; time is faked (testing/synctest).
func TestHarakiriSecondStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fm := newFakeMaster(t, 1)
		fm.opts.Harakiri, fm.opts.HarakiriGrace = 5*time.Second, 2*time.Second
		c := fm.anyChild()
		core := fm.board.Core(c.slot, 0)
		core.HarakiriDeadline.Store(time.Now().Add(5 * time.Second).UnixMicro())
		for range 6 { // the deadline, and 1 s of the grace
			time.Sleep(time.Second)
			fm.checkHealth(time.Now())
		}
		if fm.procs[c.pid].got(syscall.SIGKILL) {
			t.Fatal("killed within the grace period")
		}
		time.Sleep(time.Second)
		fm.checkHealth(time.Now())
		if !fm.procs[c.pid].got(syscall.SIGKILL) || fm.board.Worker(c.slot).HarakiriCount.Load() != 1 {
			t.Fatal("not killed once the grace period passed")
		}
	})
}

// A master image adopts what the previous one left (MasterState): its
// sockets, scoreboard and workers, with their control channels.
func TestAdoptState(t *testing.T) {
	cfg, err := config.Load([]string{"--http-socket", "127.0.0.1:0", "--master", "--processes", "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := options.ReadOptions(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	board, err := scoreboard.Create(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	worker := os.NewFile(uintptr(pair[1]), "control-worker")
	defer worker.Close()
	dup := func(fd uintptr) int {
		n, err := unix.Dup(int(fd))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const pid = 1<<22 - 7 // no such process: adopt only records it
	state := &handoff.MasterState{Gen: 3, Sockets: []int{dup(uintptr(socket.FDOf(ln)))}, Board: dup(socket.RawFD(board.File())), TLS: -1,
		SocketList: []handoff.SocketSpec{{Name: ln.Addr().String(), Kind: handoff.KindHTTP}},
		Workers:    []handoff.WorkerState{{ID: 1, Slot: 2, Gen: 3, PID: pid, Ctrl: pair[0], Ready: true}}}
	decoded, err := handoff.DecodeMasterState(state.Encode()) // as the new image reads it
	if err != nil {
		t.Fatal(err)
	}
	var watched []*child
	m := newMaster(cfg, opts, logger.NewLogger(io.Discard), sysEnv{watch: func(_ *master, c *child) { watched = append(watched, c) }})
	if err := m.adopt(decoded); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, s := range m.sockets {
			s.Listener.Close()
		}
		m.board.Close()
		m.children[pid].ctrl.Close()
	}()
	c := m.children[pid]
	if m.gen != 3 || len(m.sockets) != 1 || m.sockets[0].Name != ln.Addr().String() || c == nil || c.id != 1 || c.slot != 2 || !c.ready || !m.slotUsed[2] || len(watched) != 1 {
		t.Fatalf("adopted gen %d, sockets %v, worker %+v, watched %d", m.gen, m.sockets, c, len(watched))
	}
	if _, held := m.sockets[0].Listener.(*socket.Held); !held {
		t.Fatalf("adopted socket %T, want it held outside the poller", m.sockets[0].Listener)
	}
	if err := handoff.Send(c.ctrl, handoff.Msg{Kind: handoff.MsgSig, Signum: 3}); err != nil {
		t.Fatal(err)
	}
	if m := readMsg(t, bufio.NewReader(worker)); m.Kind != handoff.MsgSig || m.Signum != 3 {
		t.Fatalf("the adopted worker's channel carried %+v", m)
	}
}

// The spare algorithm, cycle by cycle: a worker busy for more than
// --cheaper-overload cycles brings a cheaped one back; idle for
// --cheaper-overload cycles again, the oldest idle worker goes cheap
// (gracefully), down to --cheaper. The workers' ages are faked
// (testing/synctest), so "oldest" is certain.
func TestCheaperSpare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fm := newFakeMaster(t, 1)
		fm.opts.Processes, fm.opts.Cheaper, fm.opts.CheaperOverload, fm.opts.CheaperStep, fm.opts.CheaperAlgo = 3, 1, 2, 1, "spare"
		fm.cheap.cheaped[2], fm.cheap.cheaped[3] = true, true
		first := fm.anyChild()
		fm.board.Core(first.slot, 0).InRequest.Store(1)
		for range 2 {
			fm.checkCheaper()
		}
		if len(fm.children) != 1 {
			t.Fatalf("spawned within --cheaper-overload cycles: %d workers", len(fm.children))
		}
		time.Sleep(time.Second)
		fm.checkCheaper() // the third busy cycle
		var second *child
		for _, c := range fm.children {
			if c.id == 2 {
				second = c
			}
		}
		if len(fm.children) != 2 || second == nil || fm.cheap.cheaped[2] || !fm.cheap.cheaped[3] {
			t.Fatalf("after 3 busy cycles: %d workers, cheaped %v", len(fm.children), fm.cheap.cheaped)
		}
		fm.onEvent(event{kind: evReady, c: second})
		fm.board.Core(first.slot, 0).InRequest.Store(0)
		fm.checkCheaper() // idle cycle 1
		if fm.procs[first.pid].got(syscall.SIGHUP) {
			t.Fatal("a worker went cheap after one idle cycle")
		}
		fm.checkCheaper() // idle cycle 2: the oldest idle one goes
		if !fm.procs[first.pid].got(syscall.SIGHUP) || !first.retiring || !fm.cheap.cheaped[1] || fm.procs[second.pid].got(syscall.SIGHUP) {
			t.Fatalf("after 2 idle cycles: first retiring %v, cheaped %v", first.retiring, fm.cheap.cheaped)
		}
	})
}

// The real watch reports a worker that became ready and then exited:
// the test plays the process (its control channel and, through a
// channel, its exit) and the master respawns the id.
func TestWatchReadyThenExit(t *testing.T) {
	fm := newFakeMasterCtrl(t, 1, (*master).watch)
	c := fm.anyChild()
	c.ready = false
	if err := handoff.Send(fm.ends[c.pid], handoff.Msg{Kind: handoff.MsgReady}); err != nil {
		t.Fatal(err)
	}
	ev := <-fm.events
	if ev.kind != evReady || ev.c != c {
		t.Fatalf("event %+v, want ready", ev)
	}
	fm.onEvent(ev)
	if !c.ready {
		t.Fatal("not ready after its ready message")
	}
	fm.procs[c.pid].exit <- exitState(t, 1) // the process dies
	ev = <-fm.events
	if ev.kind != evExit || ev.c != c || ev.state.ExitCode() != 1 {
		t.Fatalf("event %+v, want the exit", ev)
	}
	fm.onEvent(ev)
	if _, alive := fm.children[c.pid]; alive {
		t.Fatal("the dead worker is still a child")
	}
	var respawned bool
	for _, o := range fm.children {
		respawned = respawned || o.id == 1
	}
	for !respawned { // a first death respawns at once or after the throttle, as an event
		ev := <-fm.events
		fm.onEvent(ev)
		for _, o := range fm.children {
			respawned = respawned || o.id == 1
		}
	}
}
