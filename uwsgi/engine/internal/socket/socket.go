package socket

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/cores"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/internal/sockaddr"
)

// Proto names the socket's protocol in logs and stats: uwsgi, http or https.
func (s *Socket) Proto() string {
	if s.TLS >= 0 {
		return "https"
	}
	return s.Kind.String()
}

// Socket is one listening socket of the instance.
type Socket struct {
	Index    int
	Name     string // as configured
	Kind     handoff.Kind
	Network  string // "tcp" or "unix"
	Addr     string // address given to the kernel
	Listener net.Listener
	Backlog  int
	// Activated sockets came from the service manager (activation.go):
	// their unix socket files are never removed.
	Activated bool
	// TLS is the --https-socket number of an HTTPS socket, -1 otherwise.
	TLS int

	accOnce   sync.Once
	acc       net.Listener   // accepts for a worker: a fastAccept, or Listener
	gate      *cores.Cores   // the worker's loop engine: accept only with a free core
	turn      *atomic.Uint32 // the accept lock shared by the workers, or nil
	done      chan struct{}
	closeOnce sync.Once
}

// SplitAddr maps a uWSGI socket name to a Go network and address: a name
// with a colon is TCP (":port" listens on every address), anything else is a
// unix socket path ("@name" is an abstract socket).
func SplitAddr(name string) (network, addr string) {
	return sockaddr.Network(name), name
}

// SocketOptions are the bind-time settings shared by every socket.
type SocketOptions struct {
	Backlog   int
	ChmodSet  bool
	Chmod     string // "" means 666, as uWSGI's bare --chmod-socket
	Chown     string // user[:group]
	ReusePort bool
	Abstract  bool
	// DeferAccept is TCP_DEFER_ACCEPT in seconds (uWSGI: --socket-timeout,
	// 0 with --no-defer-accept); KeepAlive is --so-keepalive.
	DeferAccept int
	KeepAlive   bool
}

// Bind creates the listening socket for name.
func Bind(index int, name string, kind handoff.Kind, o SocketOptions) (*Socket, error) {
	network, addr := SplitAddr(name)
	if network == "unix" && o.Abstract && !strings.HasPrefix(addr, "@") {
		addr = "@" + addr
	}
	if network == "unix" && !strings.HasPrefix(addr, "@") {
		// uWSGI replaces a stale socket file left by a previous run.
		if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(addr)
		}
	}
	ln, err := listenBacklog(network, addr, o.Backlog, o.ReusePort)
	if err != nil {
		return nil, fmt.Errorf("unable to bind %s socket %q: %w", kind, name, err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	if err := tuneListener(ln, o.DeferAccept, o.KeepAlive); err != nil {
		ln.Close()
		return nil, fmt.Errorf("%s socket %q: %w", kind, name, err)
	}
	s := &Socket{Index: index, Name: name, Kind: kind, Network: network, Addr: addr, Listener: ln, Backlog: o.Backlog, TLS: -1}
	if network == "unix" && !strings.HasPrefix(addr, "@") {
		if err := s.applyPermissions(o); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Socket) applyPermissions(o SocketOptions) error {
	if o.ChmodSet {
		mode := uint64(0o666)
		if o.Chmod != "" {
			m, err := strconv.ParseUint(o.Chmod, 8, 32)
			if err != nil || len(o.Chmod) != 3 {
				return fmt.Errorf("invalid chmod value %q for socket %s: want three octal digits", o.Chmod, s.Name)
			}
			mode = m
		}
		if err := os.Chmod(s.Addr, os.FileMode(mode)); err != nil {
			return fmt.Errorf("chmod socket %s: %w", s.Name, err)
		}
	}
	if o.Chown != "" {
		uid, gid, err := lookupOwner(o.Chown)
		if err != nil {
			return fmt.Errorf("chown-socket %q: %w", o.Chown, err)
		}
		if err := os.Lchown(s.Addr, uid, gid); err != nil {
			return fmt.Errorf("chown socket %s: %w", s.Name, err)
		}
	}
	return nil
}

// lookupOwner resolves "user[:group]" (names or numbers) to ids.
func lookupOwner(spec string) (uid, gid int, err error) {
	uname, gname, hasGroup := strings.Cut(spec, ":")
	if uid, gid, err = process.LookupUser(uname); err != nil {
		return 0, 0, err
	}
	if hasGroup {
		if gid, err = process.LookupGroup(gname); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

// Port is the SERVER_PORT of the socket: the text after the last colon, or
// "80" for unix sockets, as uWSGI reports it.
func (s *Socket) Port() string {
	if s.Network != "tcp" {
		return "80"
	}
	if tcp, ok := s.Listener.Addr().(*net.TCPAddr); ok {
		return strconv.Itoa(tcp.Port)
	}
	return s.Name[strings.LastIndexByte(s.Name, ':')+1:]
}

// Close closes the listener (and the acceptor's duplicate of it); a unix
// socket file stays (see vacuum).
func (s *Socket) Close() error {
	s.accOnce.Do(func() { s.done, s.acc = make(chan struct{}), s.Listener }) // no acceptor from now on
	if s.acc != s.Listener {
		_ = s.acc.Close()
	}
	s.closeOnce.Do(func() { close(s.done) })
	return s.Listener.Close()
}

// Admit makes this process accept on s only while cores has a free core,
// and reserve it for the connection, and, with a turn word, only in its
// turn among the workers (see admit.go). Call it before Accept.
func (s *Socket) Admit(cores *cores.Cores, turn *atomic.Uint32) { s.gate, s.turn = cores, turn }

func (s *Socket) initAcceptor() {
	s.done = make(chan struct{})
	s.acc = newAcceptor(s.Listener, s.gate, s.turn)
}

// Accept waits for the next connection (see fastAccept).
func (s *Socket) Accept() (net.Conn, error) {
	s.accOnce.Do(s.initAcceptor)
	if s.gate != nil && s.acc == s.Listener && !s.gate.WaitFree(s.done) {
		// No fast acceptor (not Linux): wait for a free core, reserve none.
		return nil, net.ErrClosed
	}
	return s.acc.Accept()
}

// SockListener is a Socket as a net.Listener.
type SockListener struct{ S *Socket }

func (l SockListener) Accept() (net.Conn, error) { return l.S.Accept() }
func (l SockListener) Close() error              { return l.S.Close() }
func (l SockListener) Addr() net.Addr            { return l.S.Listener.Addr() }
