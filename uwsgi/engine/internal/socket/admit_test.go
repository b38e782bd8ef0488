//go:build linux

package socket

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/cores"
	"github.com/uwsgo/uwsgo/uwsgi/internal/plock"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
)

// gatedListener is a fast acceptor on 127.0.0.1 admitted by cores.
func gatedListener(t *testing.T, cores *cores.Cores, turn *atomic.Uint32) (*fastAccept, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acc, ok := newAcceptor(ln, cores, turn).(*fastAccept)
	if !ok {
		t.Fatal("no fast acceptor")
	}
	t.Cleanup(func() { acc.Close(); ln.Close() })
	return acc, ln.Addr().String()
}

func acceptAsync(acc *fastAccept) chan net.Conn {
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := acc.Accept()
		if err != nil {
			close(ch)
			return
		}
		ch <- c
	}()
	return ch
}

func dialSend(t *testing.T, addr, data string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if data != "" {
		if _, err := c.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// With every core busy nothing is accepted; a freed core lets the waiting
// connection in, with that core reserved, and its request runs on it.
func TestAcceptOnlyWithAFreeCore(t *testing.T) {
	cores := newTestCores(t, 1)
	acc, addr := gatedListener(t, cores, nil)
	busy := cores.Acquire(time.Now())
	got := acceptAsync(acc)
	dialSend(t, addr, "GET / HTTP/1.1\r\n\r\n")
	select {
	case <-got:
		t.Fatal("accepted while the only core was busy")
	case <-time.After(200 * time.Millisecond):
	}
	cores.Release(busy)
	c := <-got
	if c == nil {
		t.Fatal("Accept failed")
	}
	if cores.Busy() != 1 {
		t.Fatalf("%d cores busy after accepting, want 1 (reserved)", cores.Busy())
	}
	id := ReservedCore(c)
	if id != busy {
		t.Fatalf("reserved core %d, want %d", id, busy)
	}
	if ReservedCore(c) != -1 {
		t.Fatal("a reservation was taken twice")
	}
	cores.Use(id, time.Now())
	cores.Release(id)
	c.Close()
	if cores.Busy() != 0 {
		t.Fatalf("%d cores busy at the end", cores.Busy())
	}
}

// A connection that would block before its request is complete gives its
// reservation back, as does one that closes: a silent client holds no core.
func TestReservationEndsWhenTheClientIsSlow(t *testing.T) {
	cores := newTestCores(t, 1)
	acc, addr := gatedListener(t, cores, nil)
	got := acceptAsync(acc)
	dialSend(t, addr, "")
	c := <-got
	if cores.Busy() != 1 {
		t.Fatalf("%d busy after accept, want 1", cores.Busy())
	}
	read := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 10)); read <- err }()
	deadline := time.Now().Add(5 * time.Second)
	for cores.Busy() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if cores.Busy() != 0 {
		t.Fatal("a connection blocked reading still holds its reserved core")
	}
	if ReservedCore(c) != -1 {
		t.Fatal("the reservation is still there")
	}
	// The freed core admits the next connection.
	got2 := acceptAsync(acc)
	dialSend(t, addr, "x")
	c2 := <-got2
	c2.Close()
	c.Close()
	<-read
	if cores.Busy() != 0 {
		t.Fatalf("%d busy after both closed", cores.Busy())
	}
}

// A request already waiting for a core (a kept connection's) goes before a
// new connection: the accept loop does not take the core it is handed.
func TestWaitingRequestsGoBeforeNewConnections(t *testing.T) {
	cores := newTestCores(t, 1)
	acc, addr := gatedListener(t, cores, nil)
	busy := cores.Acquire(time.Now())
	waiter := make(chan int)
	go func() { waiter <- cores.Acquire(time.Now()) }()
	for cores.Waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	got := acceptAsync(acc)
	dialSend(t, addr, "x")
	cores.Release(busy)
	id := <-waiter
	select {
	case <-got:
		t.Fatal("a new connection was accepted while the waiting request held the core")
	case <-time.After(100 * time.Millisecond):
	}
	cores.Release(id)
	if c := <-got; c == nil {
		t.Fatal("Accept failed")
	} else {
		c.Close()
	}
}

// Closing the socket ends an accept loop waiting for a core or its turn.
func TestAcceptWaitEndsOnClose(t *testing.T) {
	for _, name := range []string{"core", "turn"} {
		cores := newTestCores(t, 1)
		var turn atomic.Uint32
		acc, _ := gatedListener(t, cores, &turn)
		if name == "core" {
			cores.Acquire(time.Now())
		} else {
			turn.Store(1) // held by pid 1, alive, with nothing queued
		}
		got := acceptAsync(acc)
		time.Sleep(50 * time.Millisecond)
		acc.Close()
		select {
		case c := <-got:
			if c != nil {
				t.Fatalf("%s: accepted after close", name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Accept still waiting after Close", name)
		}
	}
}

// The turn is taken over from a holder that does not accept while a
// connection waits (a stopped worker): turns spread load, they never stop it.
func TestTurnTakenFromAHolderThatDoesNotAccept(t *testing.T) {
	cores := newTestCores(t, 1)
	var turn atomic.Uint32
	turn.Store(1) // pid 1 is alive and will never accept here
	acc, addr := gatedListener(t, cores, &turn)
	got := acceptAsync(acc)
	dialSend(t, addr, "x")
	select {
	case c := <-got:
		if c == nil {
			t.Fatal("Accept failed")
		}
		c.Close()
	case <-time.After(10 * plock.StealAfter):
		t.Fatal("the queued connection was never accepted")
	}
	if h := plock.Holder(&turn); h != 0 {
		t.Fatalf("turn held by %d after the accept, want free", h)
	}
}

func newTestCores(t testing.TB, n int) *cores.Cores {
	board, err := scoreboard.Create(1, n)
	if err != nil {
		t.Fatal(err)
	}
	return cores.NewCores(n, board, 0)
}
