//go:build unix

package socket

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Held is a listening socket the master keeps open for its workers and
// never accepts on: a bare descriptor, outside Go's poller.
//
// A listening socket in the master's poller (a net.Listener, or an os.File
// of a non-blocking descriptor) wakes the master's epoll_wait for every
// connection that arrives, since readiness is edge-triggered and each new
// connection is a new edge, while no goroutine of the master ever accepts:
// measured, 5.5 µs of master CPU per one-shot request, on the CPUs the
// workers serve from (--master --processes 2, ab -c 4).
//
// A Held is a net.Listener whose Accept fails, so that the master's Socket
// keeps its address and its listen-queue reading (SyscallConn) as before.
type Held struct {
	fd     int
	addr   net.Addr
	closed atomic.Bool
}

// errHeld is Accept's error: the master hands connections to no one.
var errHeld = errors.New("the master holds this socket for its workers and does not accept on it")

// Hold takes s's listener out of this process's poller: s.Listener becomes
// a Held on a duplicate of its descriptor, and the listener is closed (a
// unix socket's file stays). The master calls it for each socket it passes
// to its workers, and keeps no other handle on them.
func Hold(s *Socket) error {
	fd := FDOf(s.Listener)
	if fd < 0 {
		return fmt.Errorf("listener %T cannot be passed to workers", s.Listener)
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket %s: dup: %w", s.Name, err)
	}
	h := &Held{fd: nfd, addr: s.Listener.Addr()}
	if ul, ok := s.Listener.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // the socket lives on in h
	}
	_ = s.Listener.Close()
	s.Listener = h
	return nil
}

// HeldFD is the descriptor of a socket Hold took, for the workers' and
// the next master image's inheritance.
func HeldFD(s *Socket) uintptr { return s.Listener.(*Held).Fd() }

// Fd is the descriptor, for the workers' and the next master image's
// inheritance; it stays valid until Close.
func (h *Held) Fd() uintptr { return uintptr(h.fd) }

// Accept implements net.Listener: it always fails.
func (h *Held) Accept() (net.Conn, error) {
	return nil, &net.OpError{Op: "accept", Net: h.addr.Network(), Addr: h.addr, Err: errHeld}
}

// Close closes the descriptor; later calls do nothing.
func (h *Held) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	return unix.Close(h.fd)
}

// Addr implements net.Listener: the address the socket was bound to.
func (h *Held) Addr() net.Addr { return h.addr }

// SyscallConn gives access to the descriptor (the listen queue's
// TCP_INFO); its Read and Write never wait.
func (h *Held) SyscallConn() (syscall.RawConn, error) { return heldRaw{h}, nil }

type heldRaw struct{ h *Held }

var errHeldClosed = errors.New("held socket closed")

func (r heldRaw) Control(f func(fd uintptr)) error {
	if r.h.closed.Load() {
		return errHeldClosed
	}
	f(r.h.Fd())
	return nil
}

func (r heldRaw) Read(f func(fd uintptr) bool) error  { return r.once(f) }
func (r heldRaw) Write(f func(fd uintptr) bool) error { return r.once(f) }

// once calls f once: a Held is not in the poller, so there is nothing to
// wait for when f is not done.
func (r heldRaw) once(f func(fd uintptr) bool) error {
	if r.h.closed.Load() {
		return errHeldClosed
	}
	if !f(r.h.Fd()) {
		return syscall.EAGAIN
	}
	return nil
}
