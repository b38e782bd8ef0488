package handoff

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// The environment a master gives the workers it spawns (and itself across
// a binary re-exec). The names start with UWSGO_ so that uWSGI's UWSGI_*
// option variables never see them.
const (
	EnvRole        = "UWSGO_ROLE"         // "worker" in a worker process
	EnvWorker      = "UWSGO_WORKER"       // "id:slot:generation"
	EnvSocketCount = "UWSGO_SOCKETS"      // number of listen sockets, passed from fd 3
	EnvMasterState = "UWSGO_MASTER_STATE" // set across a master re-exec (see reexec.go)
)

// First inherited descriptor: fds 0-2 are stdio, ExtraFiles start at 3.
const FirstFD = 3

// WorkerIdentity is what a worker learns from its environment.
type WorkerIdentity struct {
	ID, Slot int
	gen      uint64
	Sockets  int
}

// RoleFromEnv reports whether this process is a worker spawned by a master.
func RoleFromEnv() (WorkerIdentity, bool, error) {
	if os.Getenv(EnvRole) != "worker" {
		return WorkerIdentity{}, false, nil
	}
	var wi WorkerIdentity
	parts := strings.Split(os.Getenv(EnvWorker), ":")
	if len(parts) != 3 {
		return wi, true, fmt.Errorf("uwsgi: bad %s=%q", EnvWorker, os.Getenv(EnvWorker))
	}
	var err1, err2, err3, err4 error
	wi.ID, err1 = strconv.Atoi(parts[0])
	wi.Slot, err2 = strconv.Atoi(parts[1])
	wi.gen, err3 = strconv.ParseUint(parts[2], 10, 64)
	wi.Sockets, err4 = strconv.Atoi(os.Getenv(EnvSocketCount))
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return wi, true, fmt.Errorf("uwsgi: bad worker environment: %v", err)
		}
	}
	return wi, true, nil
}

// InheritedListener turns descriptor fd into a listener.
func InheritedListener(fd int) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), "listener-"+strconv.Itoa(fd))
	defer f.Close()
	return net.FileListener(f)
}

// CleanEnv is the environment without our own role variables.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "UWSGO_") && (strings.HasPrefix(kv, EnvRole+"=") ||
			strings.HasPrefix(kv, EnvWorker+"=") || strings.HasPrefix(kv, EnvSocketCount+"=") || strings.HasPrefix(kv, EnvSocketList+"=") ||
			strings.HasPrefix(kv, EnvMasterState+"=") || strings.HasPrefix(kv, EnvCaches+"=") || strings.HasPrefix(kv, EnvReqLog+"=") ||
			strings.HasPrefix(kv, EnvTLS+"=")) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// EnvCaches lists, in a worker, the descriptors of the caches the master
// passed down, in configuration order.
const EnvCaches = "UWSGO_CACHES"

// SocketSpec is what a worker (or the master's next image) must know of a
// socket besides its descriptor.
type SocketSpec struct {
	Name      string
	Kind      Kind
	Activated bool
}

// The socket list crosses exec in UWSGO_SOCKET_LIST (workers) and the
// master state: KIND:ACTIVATED:ESCAPED-NAME, comma-separated.
const EnvSocketList = "UWSGO_SOCKET_LIST"

// EncodeSockets is the socket list a worker inherits (EnvSocketList):
// "kind:activated:name" items, the name query-escaped.
func EncodeSockets(specs []SocketSpec) string {
	var b strings.Builder
	for i, s := range specs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d:%s", s.Kind, Bit[int](s.Activated), url.QueryEscape(s.Name))
	}
	return b.String()
}

// DecodeSockets reads EncodeSockets' list.
func DecodeSockets(v string) ([]SocketSpec, error) {
	if v == "" {
		return nil, nil
	}
	var out []SocketSpec
	for _, item := range strings.Split(v, ",") {
		parts := strings.SplitN(item, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("uwsgi: bad socket list %q", v)
		}
		k, err1 := strconv.Atoi(parts[0])
		name, err2 := url.QueryUnescape(parts[2])
		if err1 != nil || err2 != nil || (k != int(KindUwsgi) && k != int(KindHTTP)) {
			return nil, fmt.Errorf("uwsgi: bad socket list %q", v)
		}
		out = append(out, SocketSpec{Name: name, Kind: Kind(k), Activated: parts[1] == "1"})
	}
	return out, nil
}

// EnvTLS names the descriptor of the TLS bundle a worker inherits.
const EnvTLS = "UWSGO_TLS"

// SplitInts parses a comma-separated list of integers ("" is none), as
// the master writes descriptor numbers for its workers; a part that is not
// an integer is an error naming it, never a shorter list whose positions
// no longer match what they stand for.
func SplitInts(s string) ([]int, error) { return SplitIntsSep(s, ",") }

// SplitIntsSep is SplitInts with another separator.
func SplitIntsSep(s, sep string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, sep)
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer (in %q)", p, s)
		}
		out[i] = n
	}
	return out, nil
}

// Worker exit statuses, as uWSGI's (spec §3.7).
const (
	ExitReload = 17 // graceful stop asked by the master
	ExitEnd    = 30 // SIGINT/SIGTERM
)

// EnvReqLog is, in a worker, the request log pipe's descriptor ("-" for
// none) when the master runs a log master (logmaster.go).
const EnvReqLog = "UWSGO_REQLOG"

// Kind is the protocol a socket speaks.
type Kind uint8

const (
	// KindUwsgi is the uwsgi binary protocol (--socket).
	KindUwsgi Kind = iota
	// KindHTTP is HTTP/1.x (--http-socket, --http).
	KindHTTP
)

// String is the kind's name in the log: "uwsgi" or "http".
func (k Kind) String() string {
	if k == KindHTTP {
		return "http"
	}
	return "uwsgi"
}

// Bit is 1 for true and 0 for false: the flags of the state formats, and
// of packets on the wire.
func Bit[T interface{ ~int | ~uint8 | ~uint64 }](b bool) T {
	if b {
		return 1
	}
	return 0
}
