package master

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ctrlPipes gives each of fm's workers a control channel (a socketpair,
// as the real one) the test reads.
func ctrlPipes(t *testing.T, fm *fakeMaster) map[int]*os.File {
	t.Helper()
	ends := map[int]*os.File{}
	for _, c := range fm.children {
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(pair[1], true); err != nil { // the test's end: read deadlines
			t.Fatal(err)
		}
		w, r := os.NewFile(uintptr(pair[0]), "control"), os.NewFile(uintptr(pair[1]), "control-worker")
		t.Cleanup(func() { r.Close(); w.Close() })
		c.ctrl, ends[c.pid] = w, r
	}
	return ends
}

// sent is what the master wrote to a worker's control channel so far.
func sent(t *testing.T, r *os.File) string {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 256)
	n, _ := r.Read(b)
	return string(b[:n])
}

// A signal raised while a worker is still starting (spawned, not ready) is
// queued for it, as uWSGI queues it in the worker's signal socket: "workers"
// reaches all three, "worker3" the one starting; a retiring worker gets
// nothing, and the one-worker target prefers ready workers.
func TestSignalsReachWorkersStillStarting(t *testing.T) {
	fm := newFakeMaster(t, 3)
	ends := ctrlPipes(t, fm)
	byID := map[int]*child{}
	for _, c := range fm.children {
		byID[c.id] = c
	}
	byID[3].ready = false
	fm.sig.targets[17], fm.sig.targets[19], fm.sig.targets[18] = "workers", "worker3", "worker"
	fm.routeSignal(17)
	fm.routeSignal(19)
	for id := 1; id <= 3; id++ {
		want := "sig 17\n"
		if id == 3 {
			want += "sig 19\n"
		}
		if got := sent(t, ends[byID[id].pid]); got != want {
			t.Fatalf("worker %d (ready %v) was sent %q, want %q", id, byID[id].ready, got, want)
		}
	}
	byID[1].retiring = true
	for range 4 {
		fm.routeSignal(18)
	}
	if got := sent(t, ends[byID[2].pid]); got != strings.Repeat("sig 18\n", 4) {
		t.Fatalf("the one ready worker that is not retiring was sent %q", got)
	}
	for _, id := range []int{1, 3} {
		if got := sent(t, ends[byID[id].pid]); got != "" {
			t.Fatalf("worker %d was sent %q", id, got)
		}
	}
	ready, starting := fm.signalReceivers()
	if len(ready) != 1 || len(starting) != 1 || !slices.Contains(starting, byID[3]) {
		t.Fatalf("receivers: %d ready, starting %v", len(ready), starting)
	}
}

// The one-worker target ("worker") takes the ready workers in turn: 40
// signals to 4 workers give each exactly 10, and no worker gets two in a
// row. (Walked in m.children's map order, the turn was a random pick.)
func TestSignalRoundRobinTakesWorkersInTurn(t *testing.T) {
	fm := newFakeMaster(t, 4)
	ends := ctrlPipes(t, fm)
	fm.sig.targets[18] = "worker"
	var order []int
	for range 40 {
		fm.routeSignal(18)
		for _, c := range fm.children {
			if got := sent(t, ends[c.pid]); got != "" {
				if got != "sig 18\n" {
					t.Fatalf("worker %d was sent %q", c.id, got)
				}
				order = append(order, c.id)
			}
		}
	}
	counts := map[int]int{}
	for i, id := range order {
		counts[id]++
		if i > 0 && order[i-1] == id {
			t.Fatalf("worker %d got two signals in a row: %v", id, order)
		}
	}
	if len(order) != 40 || len(counts) != 4 {
		t.Fatalf("%d signals delivered to %d workers: %v", len(order), len(counts), order)
	}
	for id, n := range counts {
		if n != 10 {
			t.Fatalf("worker %d got %d of 40: %v", id, n, counts)
		}
	}
}
