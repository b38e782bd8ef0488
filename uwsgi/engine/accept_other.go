//go:build !linux

package engine

import "net"

// newAcceptor returns ln: the fast acceptor is Linux-only.
func newAcceptor(ln net.Listener) net.Listener { return ln }
