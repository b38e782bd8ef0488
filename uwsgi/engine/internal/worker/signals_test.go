package worker

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"golang.org/x/sys/unix"
)

// TestRaiseSignalNeverBlocks: with a master that does not read its control
// channel, raising a signal fails with ErrSignalQueueFull and uWSGI's
// "SIGNAL QUEUE IS FULL" line once the socket buffer is full, instead of
// blocking the raising request. What the channel took arrives as whole
// lines when the master reads again, a line the buffer took only part of
// included.
func TestRaiseSignalNeverBlocks(t *testing.T) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range pair {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
	}
	master := os.NewFile(uintptr(pair[0]), "master")
	defer master.Close()
	var out bytes.Buffer
	w := &Worker{ID: 3, ctrl: os.NewFile(uintptr(pair[1]), "control"), log: logger.NewLogger(&out)}
	defer w.ctrl.Close()

	sent := 0
	done := make(chan error, 1)
	go func() {
		for range 1_000_000 { // bounded: a 4 KiB buffer takes a few hundred lines
			err := w.sendCtrl(raised(7))
			if err != nil {
				done <- err
				return
			}
			sent++
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrSignalQueueFull) {
			t.Fatalf("after %d raises: %v, want ErrSignalQueueFull", sent, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RaiseSignal blocked on a control channel nobody reads")
	}
	if sent == 0 {
		t.Fatal("no raise went through an empty channel")
	}
	w.log.Flush()
	if !strings.Contains(out.String(), "*** SIGNAL QUEUE IS FULL: buffer size ") || !strings.Contains(out.String(), "could not raise signal 7 from worker 3") {
		t.Fatalf("log %q, want uWSGI's SIGNAL QUEUE IS FULL line", out.String())
	}

	// The master reads again: every raise that returned nil is one whole line.
	_ = master.SetReadDeadline(time.Now().Add(30 * time.Second))
	sc := bufio.NewScanner(master)
	for i := range sent {
		if !sc.Scan() {
			t.Fatalf("line %d of %d: %v", i+1, sent, sc.Err())
		}
		if sc.Text() != "signal 7" {
			t.Fatalf("line %d of %d is %q, want %q", i+1, sent, sc.Text(), "signal 7")
		}
	}
	// The channel works again once read.
	w.ctrlMu.Lock() // a partly written line's goroutine has finished
	w.ctrlMu.Unlock()
	if err := w.sendCtrl(raised(9)); err != nil {
		t.Fatalf("raise after the master read: %v", err)
	}
	if !sc.Scan() || sc.Text() != "signal 9" {
		t.Fatalf("after the master read: %q, %v; want \"signal 9\"", sc.Text(), sc.Err())
	}
}

// TestConcurrentRaisesAllGoThrough: raises from many requests at once,
// with the master reading, all succeed: a raise waits for another raise's
// non-blocking write rather than taking it for a full channel. Each burst
// is 80 lines, read before the next one starts: each write is a socket
// buffer of its own in the kernel, about 1 KiB of the default 208 KiB, so
// the channel is never really full here.
func TestConcurrentRaisesAllGoThrough(t *testing.T) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	master := os.NewFile(uintptr(pair[0]), "master")
	defer master.Close()
	_ = master.SetReadDeadline(time.Now().Add(60 * time.Second))
	var out bytes.Buffer
	w := &Worker{ID: 1, ctrl: os.NewFile(uintptr(pair[1]), "control"), log: logger.NewLogger(&out)}
	defer w.ctrl.Close()
	const bursts, goroutines, each = 20, 16, 5
	read := make(chan int, bursts)
	go func() {
		sc := bufio.NewScanner(master)
		for n := 1; sc.Scan(); n++ {
			if n%(goroutines*each) == 0 {
				read <- n
			}
		}
		close(read)
	}()
	var failed atomic.Int32
	for b := range bursts {
		var wg sync.WaitGroup
		start := make(chan struct{}) // all at once: the raises contend for the channel
		for range goroutines {
			wg.Go(func() {
				<-start
				for range each {
					if err := w.sendCtrl(raised(4)); err != nil {
						failed.Add(1)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if n := failed.Load(); n != 0 {
			w.log.Flush()
			t.Fatalf("burst %d: %d of %d concurrent raises failed with a reading master: %s", b+1, n, goroutines*each, out.String())
		}
		if n, ok := <-read; !ok || n != (b+1)*goroutines*each {
			t.Fatalf("burst %d: the master read %d lines, want %d", b+1, n, (b+1)*goroutines*each)
		}
	}
}

func raised(signum uint8) handoff.Msg { return handoff.Msg{Kind: handoff.MsgSignal, Signum: signum} }
