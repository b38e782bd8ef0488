//go:build !linux

package engine

import (
	"net"
	"sync/atomic"
)

// newAcceptor returns ln: the fast acceptor is Linux-only.
func newAcceptor(ln net.Listener, gate *Cores, turn *atomic.Uint32) net.Listener { return ln }

// sockConn exists only on Linux (see accept_linux.go).
type sockConn struct{ net.Conn }

// takeReserved returns -1: without the fast acceptor no core is reserved.
func (c *sockConn) takeReserved() int { return -1 }

// dropReservation does nothing: without the fast acceptor no core is reserved.
func (c *sockConn) dropReservation() {}
