package socket

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"golang.org/x/sys/unix"
)

// Socket activation (sd_listen_fds(3)): systemd, or systemd-socket-activate,
// starts the instance with listening sockets at descriptors 3.. and
// LISTEN_PID / LISTEN_FDS / LISTEN_FDNAMES in the environment.
//
// An inherited socket whose address is the one of a --socket, --http-socket
// (…) option, or whose FileDescriptorName= is that option's value, is used as
// that socket with that option's protocol; nothing is bound for it. The
// other inherited sockets are served with the protocol of the first socket
// option given (uwsgi when none is): a FileDescriptorName= of "http" or
// "uwsgi" chooses it instead. The variables are removed at once, so neither
// the workers nor the app's main() see them. Activated unix sockets belong
// to systemd: --vacuum never removes them, and the master does not bind
// their path again when it disappears.
const (
	envListenPid     = "LISTEN_PID"
	envListenFds     = "LISTEN_FDS"
	envListenFdnames = "LISTEN_FDNAMES"
)

// activatedSocket is one socket passed by the service manager.
type activatedSocket struct {
	fd       int
	name     string // its FileDescriptorName=, or ""
	listener net.Listener
	used     bool
}

var activation struct {
	once    sync.Once
	sockets []*activatedSocket
	err     error
}

// sdListenFDsStart is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const sdListenFDsStart = 3

// ActivatedSockets takes the sockets passed by the service manager (once
// per process; later calls return the same ones).
func ActivatedSockets() ([]*activatedSocket, error) {
	activation.once.Do(func() { activation.sockets, activation.err = takeActivated() })
	return activation.sockets, activation.err
}

func takeActivated() ([]*activatedSocket, error) {
	pid, fds, names := os.Getenv(envListenPid), os.Getenv(envListenFds), os.Getenv(envListenFdnames)
	for _, k := range []string{envListenPid, envListenFds, envListenFdnames} {
		os.Unsetenv(k)
	}
	if fds == "" || pid != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("uwsgi: bad %s=%q", envListenFds, fds)
	}
	nameList := strings.Split(names, ":")
	var out []*activatedSocket
	for i := range n {
		fd := sdListenFDsStart + i
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), "activated-"+strconv.Itoa(fd))
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("uwsgi: socket-activated descriptor %d is not a listening stream socket: %w", fd, err)
		}
		s := &activatedSocket{fd: fd, listener: ln}
		if i < len(nameList) && nameList[i] != "unknown" {
			s.name = nameList[i]
		}
		out = append(out, s)
	}
	return out, nil
}

// matches reports whether the activated socket is the one socket option
// name asks for.
func (a *activatedSocket) matches(name string, abstract bool) bool {
	if a.name != "" && a.name == name {
		return true
	}
	network, addr := SplitAddr(name)
	switch got := a.listener.Addr().(type) {
	case *net.TCPAddr:
		if network != "tcp" {
			return false
		}
		want, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil || want.Port != got.Port {
			return false
		}
		if want.IP == nil || want.IP.IsUnspecified() {
			return got.IP.IsUnspecified()
		}
		return want.IP.Equal(got.IP)
	case *net.UnixAddr:
		if network != "unix" {
			return false
		}
		if abstract && !strings.HasPrefix(addr, "@") {
			addr = "@" + addr
		}
		return got.Name == addr
	}
	return false
}

// addrName is the socket's address written as a socket option value.
func (a *activatedSocket) addrName() string {
	switch got := a.listener.Addr().(type) {
	case *net.TCPAddr:
		return got.String()
	case *net.UnixAddr:
		return got.Name
	}
	return a.listener.Addr().String()
}

// activatedSocketFor returns, and marks used, the activated socket for
// option value name, if there is one.
func activatedSocketFor(list []*activatedSocket, name string, abstract bool) *activatedSocket {
	for _, a := range list {
		if !a.used && a.matches(name, abstract) {
			a.used = true
			return a
		}
	}
	return nil
}

// adoptActivated makes a Socket of an activated one.
func adoptActivated(index int, a *activatedSocket, name string, kind handoff.Kind, o SocketOptions) (*Socket, error) {
	network, addr := SplitAddr(a.addrName())
	if err := tuneListener(a.listener, o.DeferAccept, o.KeepAlive); err != nil {
		return nil, fmt.Errorf("%s socket %q: %w", kind, name, err)
	}
	return &Socket{Index: index, Name: name, Kind: kind, Network: network, Addr: addr, Listener: a.listener, Activated: true}, nil
}

// kindOfUnnamed is the protocol of an activated socket no option names.
func kindOfUnnamed(a *activatedSocket, kinds []handoff.Kind) handoff.Kind {
	switch a.name {
	case "http", "http-socket":
		return handoff.KindHTTP
	case "uwsgi", "socket":
		return handoff.KindUwsgi
	}
	if len(kinds) > 0 {
		return kinds[0]
	}
	return handoff.KindUwsgi
}
