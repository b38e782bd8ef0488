package master

import (
	"io"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"golang.org/x/sys/unix"
)

// fakeProc records the signals the master sends; nothing runs. Its Wait
// returns when the test sends the process's exit on exit (never, if it
// sends none): the test drives the process's life through a channel.
type fakeProc struct {
	mu      sync.Mutex
	signals []os.Signal
	exit    chan *os.ProcessState
}

func (p *fakeProc) Signal(s os.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signals = append(p.signals, s)
	return nil
}

func (p *fakeProc) Wait() (*os.ProcessState, error) { return <-p.exit, nil }

func (p *fakeProc) got(s os.Signal) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range p.signals {
		if x == s {
			return true
		}
	}
	return false
}

// fakeMaster is a master whose workers are fakes: the test plays the
// processes' part by feeding ready and exit events.
type fakeMaster struct {
	*master
	t       *testing.T
	nextPID int
	procs   map[int]*fakeProc
	// ends are the workers' ends of their control channels (by pid), when
	// the fake has them (newFakeMasterCtrl).
	ends map[int]*os.File
}

func newFakeMaster(t *testing.T, processes int) *fakeMaster {
	t.Helper()
	return newFakeMasterWith(t, processes, false, func(*master, *child) {})
}

// newFakeMasterCtrl is a fake master whose workers have real control
// channels (socketpairs): the test plays each worker's end, and watch
// decides whether the master reads its ends (the real watch) or not.
func newFakeMasterCtrl(t *testing.T, processes int, watch func(*master, *child)) *fakeMaster {
	t.Helper()
	return newFakeMasterWith(t, processes, true, watch)
}

func newFakeMasterWith(t *testing.T, processes int, withCtrl bool, watch func(*master, *child)) *fakeMaster {
	t.Helper()
	cfg, err := config.Load([]string{"--http-socket", ":0", "--master", "--processes", "2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := options.ReadOptions(cfg)
	opts.Processes = processes
	fm := &fakeMaster{t: t, nextPID: 1000, procs: map[int]*fakeProc{}, ends: map[int]*os.File{}}
	sys := sysEnv{
		start: func(m *master, id, slot int, gen uint64) (int, workerProc, *os.File, error) {
			fm.nextPID++
			p := &fakeProc{exit: make(chan *os.ProcessState, 1)}
			fm.procs[fm.nextPID] = p
			if !withCtrl {
				return fm.nextPID, p, nil, nil
			}
			pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			ours, theirs := os.NewFile(uintptr(pair[0]), "control"), os.NewFile(uintptr(pair[1]), "control-worker")
			fm.ends[fm.nextPID] = theirs
			t.Cleanup(func() { ours.Close(); theirs.Close() })
			return fm.nextPID, p, ours, nil
		},
		watch: watch,
	}
	fm.master = newMaster(cfg, opts, logger.NewLogger(io.Discard), sys)
	if fm.board, err = scoreboard.Create(4*processes, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fm.board.Close() })
	fm.slotUsed = make([]bool, fm.board.Slots())
	fm.gen, fm.lastGen = 1, 1
	for id := 1; id <= processes; id++ {
		c, err := fm.spawn(id, 1)
		if err != nil {
			t.Fatal(err)
		}
		fm.onEvent(event{kind: evReady, c: c})
	}
	return fm
}

// ofGen returns the live workers of generation gen.
func (fm *fakeMaster) ofGen(gen uint64) []*child {
	var out []*child
	for _, c := range fm.children {
		if c.gen == gen {
			out = append(out, c)
		}
	}
	return out
}

func (fm *fakeMaster) exit(c *child, code int) {
	fm.onEvent(event{kind: evExit, c: c, state: exitState(fm.t, code)})
}

// exitState makes a real *os.ProcessState with the given exit code.
func exitState(t *testing.T, code int) *os.ProcessState {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit " + itoa(code)}, &os.ProcAttr{})
	if err != nil {
		t.Skip("no /bin/sh: ", err)
	}
	st, _ := p.Wait()
	return st
}

func itoa(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func TestReloadReplacesThenRetires(t *testing.T) {
	fm := newFakeMaster(t, 2)
	old := fm.ofGen(1)
	fm.requestReload(false, "test")
	fresh := fm.ofGen(2)
	if len(fresh) != 2 {
		t.Fatalf("%d workers of the new generation started, want 2", len(fresh))
	}
	for _, o := range old {
		if o.retiring || fm.procs[o.pid].got(syscall.SIGHUP) {
			t.Fatal("an old worker was retired before the new generation accepted")
		}
	}
	fm.onEvent(event{kind: evReady, c: fresh[0]})
	if old[0].retiring {
		t.Fatal("old workers retired while a new one was not yet accepting")
	}
	fm.onEvent(event{kind: evReady, c: fresh[1]})
	for _, o := range old {
		if !o.retiring || !fm.procs[o.pid].got(syscall.SIGHUP) {
			t.Fatalf("old worker %d not retired once the new generation accepted", o.id)
		}
		fm.exit(o, handoff.ExitReload)
	}
	if fm.gen != 2 || len(fm.children) != 2 || fm.reload != nil {
		t.Fatalf("after the reload: gen %d, %d children, reload %v", fm.gen, len(fm.children), fm.reload)
	}
}

func TestFailedGenerationIsNotRolledIn(t *testing.T) {
	fm := newFakeMaster(t, 2)
	old := fm.ofGen(1)
	fm.requestReload(false, "test")
	fresh := fm.ofGen(2)
	fm.exit(fresh[0], 1) // main() exited 1
	if !fm.procs[fresh[1].pid].got(syscall.SIGKILL) {
		t.Fatal("the rest of the failed generation was not killed")
	}
	for _, o := range old {
		if o.retiring || len(fm.procs[o.pid].signals) != 0 {
			t.Fatal("an old worker was touched by a failed reload")
		}
	}
	fm.exit(fresh[1], 137)
	if fm.gen != 1 || fm.reload != nil || len(fm.children) != 2 {
		t.Fatalf("gen %d, reload %v, %d children", fm.gen, fm.reload, len(fm.children))
	}
	fm.requestReload(false, "again") // a later good reload works
	for _, c := range fm.ofGen(3) {
		fm.onEvent(event{kind: evReady, c: c})
	}
	if fm.gen != 3 {
		t.Fatalf("the later reload did not roll in: gen %d", fm.gen)
	}
}

func TestQueuedReloadAndRespawn(t *testing.T) {
	fm := newFakeMaster(t, 1)
	fm.requestReload(false, "first")
	fm.requestReload(false, "second") // queued
	first := fm.ofGen(2)[0]
	fm.onEvent(event{kind: evReady, c: first})
	if len(fm.ofGen(3)) != 1 {
		t.Fatal("the queued reload did not start when the first ended")
	}
}

func TestDeadWorkerIsRespawnedAndThrottled(t *testing.T) {
	fm := newFakeMaster(t, 1)
	// Deaths 1 and 3 respawn at once; death 2 comes within a second of the
	// first, more than the one worker: its respawn waits 2 s, then the
	// count starts again.
	for i := range 3 {
		c := fm.ofGen(1)
		if len(c) != 1 {
			t.Fatalf("round %d: %d live workers, want 1 (respawned)", i, len(c))
		}
		before := len(fm.procs)
		fm.exit(c[0], 1)
		if i != 1 && len(fm.procs) != before+1 {
			t.Fatalf("death %d: the worker was not respawned at once", i+1)
		}
		if i == 1 {
			// More deaths than workers within a second: the respawn waits.
			if len(fm.procs) != before {
				t.Fatal("a respawn loop was not throttled")
			}
			ev := <-fm.events // the delayed respawn arrives as an event
			fm.onEvent(ev)
		}
	}
}

func TestShutdowns(t *testing.T) {
	fm := newFakeMaster(t, 2)
	fm.shutdown(true)
	for _, c := range fm.children {
		if !fm.procs[c.pid].got(syscall.SIGHUP) || c.deadline.IsZero() {
			t.Fatal("graceful shutdown did not ask every worker to finish")
		}
	}
	fm.shutdown(false) // brutal overrides graceful
	for _, c := range fm.children {
		if !fm.procs[c.pid].got(syscall.SIGINT) {
			t.Fatal("brutal shutdown did not interrupt every worker")
		}
	}
	for _, c := range fm.children {
		fm.exit(c, handoff.ExitEnd)
	}
	if len(fm.children) != 0 || len(fm.procs) != 2 {
		t.Fatalf("workers respawned during shutdown: %d procs", len(fm.procs))
	}
	fm.onTick() // deadlines of gone workers do nothing
}

func TestRecycleReplacesThenRetires(t *testing.T) {
	fm := newFakeMaster(t, 1)
	old := fm.ofGen(1)[0]
	fm.onEvent(event{kind: evRecycle, c: old})
	var fresh *child
	for _, c := range fm.children {
		if c != old {
			fresh = c
		}
	}
	if fresh == nil || old.retiring {
		t.Fatal("recycling did not start a replacement first")
	}
	fm.onEvent(event{kind: evReady, c: fresh})
	if !old.retiring || !fm.procs[old.pid].got(syscall.SIGHUP) {
		t.Fatal("the recycled worker was not retired once its replacement accepted")
	}
}
