// Package socket is the engine's listening and accepted sockets: binding
// (uWSGI's socket names, --chmod-socket, --chown-socket, backlog, socket
// activation, inherited sockets), the fast acceptor (accept4 through the
// poller, gated by the cores), sockConn (a connection served from its
// descriptor, joining the poller only when it would block), the drain
// listener (connection accounting for graceful stops, --max-conns, lazy
// deadlines, the request body's raw-byte meter), PROXY protocol, the
// listen queue, and the accept loop with backoff (AcceptRetrying).
//
// Guarantees: connections are shaped as package net's (errors, deadlines,
// addresses); Close of a listener wakes its accept; a connection is
// counted until it closes. It knows nothing of HTTP or the uwsgi protocol
// (upper layers wrap connections and say so through WrappedConn).
package socket
