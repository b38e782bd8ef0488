//go:build !linux

package engine

import "net"

// listenBacklog listens with Go's default backlog: other systems keep it.
func listenBacklog(network, addr string, _ int, _ bool) (net.Listener, error) {
	return net.Listen(network, addr)
}

// tuneListener is a no-op off Linux.
func tuneListener(net.Listener, int, bool) error { return nil }
