//go:build !linux

package engine

import "net"

// newAcceptor returns ln: the fast acceptor is Linux-only.
func newAcceptor(ln net.Listener) net.Listener { return ln }

// sockConn exists only on Linux (see accept_linux.go).
type sockConn struct{ net.Conn }
