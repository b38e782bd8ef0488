//go:build linux

package socket

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/cores"
	"github.com/uwsgo/uwsgo/uwsgi/internal/plock"
	"golang.org/x/sys/unix"
)

// fastAccept accepts connections with one accept4 and serves each from its
// descriptor. Go's net package adds a getsockname and, for TCP, four
// setsockopt calls (keep-alive probes every 15 s) to every connection it
// accepts: a quarter of the system calls of a one-request connection, the
// common case behind nginx's uwsgi_pass and for Connection: close clients.
// uWSGI leaves keep-alive probes off unless --so-keepalive, which sets them
// on the listening socket (accepted sockets inherit them). TCP_NODELAY stays
// on, as in every Go server: a streamed response must not wait on Nagle.
type fastAccept struct {
	ln      net.Listener // the socket's listener, for Addr
	f       *os.File     // a duplicate of the listening descriptor, in Go's poller
	rc      syscall.RawConn
	network string // "tcp" or "unix"
	closed  atomic.Bool
	// gate, when set, is the worker's loop engine: a connection is accepted
	// only with a core reserved for it (see admit.go); done ends the wait.
	gate *cores.Cores
	done chan struct{}
	// turn, when set, is the accept lock shared with the other workers
	// (--thunder-lock, see admit.go); pid is this process's.
	turn *atomic.Uint32
	pid  uint32
	// passed is set when the last turn's HandOff woke a waiter: the next
	// takeTurn lets it take the turn first (plock.LockAfterHandOff).
	passed bool
	try    acceptTry
	// nodelay: accepted connections inherit TCP_NODELAY from the listener.
	nodelay bool
}

// newAcceptor returns the fast acceptor for ln, or ln itself when its
// descriptor cannot be used that way.
func newAcceptor(ln net.Listener, gate *cores.Cores, turn *atomic.Uint32) net.Listener {
	var network string
	switch ln.(type) {
	case *net.TCPListener:
		network = "tcp"
	case *net.UnixListener:
		network = "unix"
	default:
		return ln
	}
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return ln
	}
	rawLn, err := sc.SyscallConn()
	if err != nil {
		return ln
	}
	// A duplicate shares the listener's open file description, non-blocking
	// already, so os.NewFile puts it in the poller.
	dup, derr := -1, error(nil)
	// TCP_NODELAY on the listening socket is inherited by the connections
	// it accepts (Linux copies the listener's TCP state), which saves a
	// setsockopt per connection; where setting it fails, each connection
	// gets its own.
	nodelay := network != "tcp"
	if err := rawLn.Control(func(fd uintptr) {
		dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
		if !nodelay {
			nodelay = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) == nil
		}
	}); err != nil || derr != nil {
		return ln
	}
	f := os.NewFile(uintptr(dup), "listener")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return ln
	}
	a := &fastAccept{ln: ln, f: f, rc: rc, network: network, gate: gate, done: make(chan struct{}), turn: turn, pid: uint32(os.Getpid())}
	a.nodelay = nodelay
	a.try.gate = gate
	a.try.fn = a.try.attempt
	return a
}

// Accept implements net.Listener. With a gate, it waits for a free core
// first and takes the connection with that core reserved; it waits for a
// connection holding no core, so a keep-alive request of this worker can
// take the core meanwhile, and then this loop waits for a free one again.
func (a *fastAccept) Accept() (net.Conn, error) {
	for {
		if a.gate != nil && !a.gate.WaitFree(a.done) {
			return nil, net.ErrClosed
		}
		if a.turn != nil && !a.takeTurn() {
			return nil, net.ErrClosed
		}
		nfd, core, err := a.accept4()
		if a.turn != nil {
			a.passed = plock.HandOff(a.turn)
		}
		if err != nil {
			if a.closed.Load() || errors.Is(err, os.ErrClosed) {
				return nil, net.ErrClosed
			}
			return nil, &net.OpError{Op: "accept", Net: a.network, Addr: a.ln.Addr(), Err: os.NewSyscallError("accept4", err)}
		}
		if nfd < 0 {
			continue // the free core was taken before a connection came
		}
		c := &sockConn{fd: nfd, network: a.network, ln: a.ln}
		if core >= 0 {
			c.Reserve(a.gate, core)
		}
		if a.network == "tcp" {
			if !a.nodelay {
				_ = unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
			}
			c.raddr = tcpAddrOfRaw(&a.try.rsa)
		} else {
			c.raddr = &noUnixAddr
		}
		return c, nil
	}
}

// takeTurn waits for this worker's turn to accept (the accept lock). The
// lock only spreads connections fairly, it guards nothing: a waiter that
// waited plock.StealAfter while a connection is queued takes the turn from
// a holder that is not accepting (stopped, dead), and two accepting at once
// is harmless.
func (a *fastAccept) takeTurn() bool {
	lock := plock.LockUntil
	if a.passed {
		lock = plock.LockAfterHandOff // the waiter we woke goes first
	}
	_, ok := lock(a.turn, a.pid, a.done, func(holder uint32) bool {
		return plock.Dead(holder) || a.pending()
	})
	return ok
}

// pending reports whether a connection waits in the listen queue.
func (a *fastAccept) pending() bool {
	ready := false
	_ = a.rc.Control(func(fd uintptr) {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		ready = err == nil && n > 0 && p[0].Revents&unix.POLLIN != 0
	})
	return ready
}

// accept4 accepts one connection, waiting in the poller for one. With a
// gate, each try reserves a core first and gives it back when no connection
// is there, so no core is held while waiting; nfd < 0 with no error means
// no core was free when a connection came.
func (a *fastAccept) accept4() (nfd int, core int, err error) {
	t := &a.try
	t.nfd, t.core, t.err = -1, -1, nil
	if err = a.rc.Read(t.fn); err == nil {
		err = t.err
	}
	return t.nfd, t.core, err
}

// acceptTry is the state of one accept4 attempt, kept in the acceptor so
// that an accept allocates nothing of its own: Accept is called by one
// goroutine, the socket's serving loop.
type acceptTry struct {
	gate      *cores.Cores
	nfd, core int
	err       error
	rsa       unix.RawSockaddrAny // the peer's address
	fn        func(fd uintptr) bool
}

// attempt is fn: it reports whether the try is over (accepted, or an
// error other than EAGAIN).
func (t *acceptTry) attempt(fd uintptr) bool {
	t.err = nil // a try that found no core leaves no error of an earlier one
	if t.gate != nil {
		var ok bool
		if t.core, ok = t.gate.Reserve(); !ok {
			return true
		}
	}
	t.nfd, t.err = accept4Raw(int(fd), &t.rsa)
	if t.err != nil {
		t.nfd = -1
		if t.core >= 0 {
			t.gate.Unreserve(t.core)
			t.core = -1
		}
	}
	return t.err != unix.EAGAIN
}

// Close implements net.Listener: the duplicate only (Socket.Close closes
// the socket's own listener).
func (a *fastAccept) Close() error {
	if a.closed.CompareAndSwap(false, true) {
		close(a.done)
	}
	return a.f.Close()
}

// Addr implements net.Listener.
func (a *fastAccept) Addr() net.Addr { return a.ln.Addr() }

var noUnixAddr = net.UnixAddr{Net: "unix"}
