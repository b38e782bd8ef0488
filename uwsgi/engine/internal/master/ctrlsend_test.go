package master

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"golang.org/x/sys/unix"
)

// floodSignals is how many signals the tests raise for a worker that never
// reads: far more than a control socket's default buffer holds.
const floodSignals = 20000

// logBuf is the master's log as the test reads it: the logger flushes
// from a timer goroutine too.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
	l   *logger.Logger
}

func captureLog(fm *fakeMaster) *logBuf {
	b := &logBuf{}
	b.l = logger.NewLogger(b)
	fm.log = b.l
	return b
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything logged so far.
func (b *logBuf) String() string {
	b.l.Flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuf) Reset() {
	b.l.Flush()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// ctrlEnd is the test's end of worker id's control channel.
func (fm *fakeMaster) ctrlEnd(id int) (*child, *os.File) {
	for _, c := range fm.children {
		if c.id == id {
			return c, fm.ends[c.pid]
		}
	}
	fm.t.Fatalf("no worker %d", id)
	return nil, nil
}

// inMaster runs f as the master's loop would, and fails the test instead of
// hanging when f blocks (the old blocking write to a full channel did); the
// bound is a deadlock guard, not a timing assertion.
func inMaster(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the master blocked writing to a worker's control channel")
	}
}

// A worker that never reads its control channel while the master raises
// many signals for it: the master never blocks, every signal the socket
// could not take is dropped with one uWSGI line, another worker still gets
// its signals, the lines that went are whole, and once the worker reads,
// signals reach it again.
func TestSignalsToAWorkerThatDoesNotRead(t *testing.T) {
	fm := newFakeMasterCtrl(t, 2, func(*master, *child) {})
	logs := captureLog(fm)
	fm.sig.targets[5], fm.sig.targets[6] = "worker1", "worker2"
	first, stuck := fm.ctrlEnd(1)
	_, other := fm.ctrlEnd(2)
	inMaster(t, func() {
		for range floodSignals {
			fm.routeSignal(5)
		}
		fm.routeSignal(6)
	})
	full := fmt.Sprintf("*** SIGNAL QUEUE IS FULL: buffer size %d bytes (you can tune it with --signal-bufsize) *** could not deliver signal 5 to worker 1", handoff.SendBuffer(first.ctrl))
	dropped := strings.Count(logs.String(), full+"\n")
	if lines := strings.Count(logs.String(), "\n"); lines != dropped {
		t.Fatalf("%d log lines, %d of them the queue-full line %q:\n%.2000s", lines, dropped, full, logs.String())
	}
	queued, err := unixInq(stuck)
	if err != nil {
		t.Fatal(err)
	}
	delivered := queued / len("sig 5\n")
	if dropped == 0 || delivered == 0 || delivered+dropped != floodSignals || queued%len("sig 5\n") != 0 {
		t.Fatalf("%d bytes queued (%d signals), %d dropped, of %d", queued, delivered, dropped, floodSignals)
	}
	if m := readMsg(t, bufio.NewReader(other)); m != (handoff.Msg{Kind: handoff.MsgSig, Signum: 6}) {
		t.Fatalf("worker 2 got %+v, want sig 6", m)
	}
	r := bufio.NewReader(stuck)
	for i := range delivered {
		if m := readMsg(t, r); m != (handoff.Msg{Kind: handoff.MsgSig, Signum: 5}) {
			t.Fatalf("message %d to worker 1: %+v, want sig 5", i, m)
		}
	}
	logs.Reset()
	inMaster(t, func() { fm.routeSignal(5) })
	if m := readMsg(t, r); m.Signum != 5 || logs.String() != "" {
		t.Fatalf("after reading, worker 1 got %+v; log %q", m, logs.String())
	}
	t.Logf("%d signals queued (%d bytes), %d dropped", delivered, queued, dropped)
}

// A resend (a new master image asking for the signal registrations) must
// not be lost: when the channel is full it waits, later signals are
// dropped behind it rather than overtaking it, and the master's tick
// writes it once the worker reads.
func TestResendWaitsForAFullChannel(t *testing.T) {
	fm := newFakeMasterCtrl(t, 1, func(*master, *child) {})
	logs := captureLog(fm)
	fm.sig.targets[5] = "worker1"
	c, end := fm.ctrlEnd(1)
	inMaster(t, func() {
		for len(c.ctrlOwed) == 0 && logs.String() == "" {
			fm.routeSignal(5)
		}
		if err := fm.sendCtrl(c, handoff.Msg{Kind: handoff.MsgResend}, true); err != nil {
			t.Error(err)
		}
		fm.routeSignal(5) // dropped: it would overtake the resend
	})
	if string(c.ctrlOwed) != "resend\n" || !strings.Contains(logs.String(), "could not deliver signal 5 to worker 1") {
		t.Fatalf("owed %q; log %q", c.ctrlOwed, logs.String())
	}
	queued, _ := unixInq(end)
	r := bufio.NewReader(end)
	for range queued / len("sig 5\n") {
		if m := readMsg(t, r); m.Kind != handoff.MsgSig {
			t.Fatalf("got %+v before the resend", m)
		}
	}
	inMaster(t, fm.onTick)
	if m := readMsg(t, r); m.Kind != handoff.MsgResend || c.ctrlOwed != nil {
		t.Fatalf("got %+v, owed %q; want the resend", m, c.ctrlOwed)
	}
}

// --signal-bufsize, when given, sizes both ends' buffers of a control
// socketpair as uWSGI's signal socketpair (Linux doubles the value), and
// the queue-full line reports that size; without it the kernel's default
// stays.
func TestSignalBufsizeSizesTheSocketpair(t *testing.T) {
	for _, tc := range []struct{ args []string }{{nil}, {[]string{"--signal-bufsize", "8192"}}} {
		cfg, err := config.Load(append([]string{"--http-socket", ":0", "--master"}, tc.args...), nil)
		if err != nil {
			t.Fatal(err)
		}
		m := &master{cfg: cfg, log: logger.NewLogger(io.Discard)}
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		def, _ := unix.GetsockoptInt(pair[0], unix.SOL_SOCKET, unix.SO_SNDBUF)
		m.sizeCtrlPair(pair)
		ours := os.NewFile(uintptr(pair[0]), "control")
		theirs := os.NewFile(uintptr(pair[1]), "control-worker")
		rcv, _ := unix.GetsockoptInt(pair[1], unix.SOL_SOCKET, unix.SO_RCVBUF)
		snd := handoff.SendBuffer(ours)
		if tc.args == nil && snd != def || tc.args != nil && (snd != 2*8192 || rcv != 2*8192) {
			t.Errorf("%v: SO_SNDBUF %d, SO_RCVBUF of the other end %d (default %d)", tc.args, snd, rcv, def)
		}
		ours.Close()
		theirs.Close()
	}
}
