package worker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/internal/sockaddr"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
)

// RPCFunc is a function callable over uWSGI's RPC.
type RPCFunc func(args ...[]byte) []byte

// MaxRPCFunctions is uWSGI's --rpc-max default.
const MaxRPCFunctions = 64

// rpcTable is the process's RPC functions: a documented singleton, filled
// by the app's main() (RegisterRPC) before Run, read by the uwsgi server.
var rpcTable struct {
	mu    sync.RWMutex
	funcs map[string]RPCFunc
}

// ErrRPCUnknown is returned for a function nobody registered.
var ErrRPCUnknown = errors.New("uwsgi: unknown RPC function")

// RegisterRPC makes fn callable as name in this process (every worker's
// main() registers its functions). Registering a name again replaces it.
func RegisterRPC(name string, fn RPCFunc) error {
	if len(name) == 0 || len(name) > proto.MaxRPCName {
		return fmt.Errorf("uwsgi: RPC name %.20q...: must be 1 to %d bytes", name, proto.MaxRPCName)
	}
	rpcTable.mu.Lock()
	defer rpcTable.mu.Unlock()
	if rpcTable.funcs == nil {
		rpcTable.funcs = map[string]RPCFunc{}
	}
	if _, ok := rpcTable.funcs[name]; !ok && len(rpcTable.funcs) >= MaxRPCFunctions {
		return fmt.Errorf("uwsgi: too many RPC functions (max %d)", MaxRPCFunctions)
	}
	rpcTable.funcs[name] = fn
	return nil
}

func lookupRPC(name string) RPCFunc {
	rpcTable.mu.RLock()
	defer rpcTable.mu.RUnlock()
	return rpcTable.funcs[name]
}

// CallRPC calls name on node ("" = in this process) with args; a remote
// node is a uwsgi socket address (host:port or a unix path).
func CallRPC(node, name string, timeout time.Duration, args ...[]byte) ([]byte, error) {
	if node == "" {
		fn := lookupRPC(name)
		if fn == nil {
			return nil, fmt.Errorf("%w %q", ErrRPCUnknown, name)
		}
		return fn(args...), nil
	}
	pkt, err := proto.AppendRPCRequest(nil, name, args...)
	if err != nil {
		return nil, err
	}
	c, err := net.DialTimeout(sockaddr.Network(node), node, timeout)
	if err != nil {
		return nil, fmt.Errorf("uwsgi: RPC to %s: %w", node, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(pkt); err != nil {
		return nil, fmt.Errorf("uwsgi: RPC to %s: %w", node, err)
	}
	var hb [proto.HeaderSize]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		return nil, fmt.Errorf("uwsgi: RPC %q on %s: no reply (unknown function?): %w", name, node, err)
	}
	h, _ := proto.ParseHeader(hb[:])
	block := make([]byte, h.DataSize)
	if _, err := io.ReadFull(c, block); err != nil {
		return nil, fmt.Errorf("uwsgi: RPC %q on %s: %w", name, node, err)
	}
	if h.Modifier2 != proto.RPCLargeReply {
		return block, nil
	}
	n, err := proto.RPCReplyLength(h, block)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	_, err = io.ReadFull(c, out)
	return out, err
}

// serveRPC answers an RPC packet on a uwsgi socket: an unknown function or
// a nil result closes the connection without a reply, as uWSGI does.
func (us *uwsgiServer) serveRPC(uc *uconn) {
	var argBuf [16][]byte
	name, args, err := proto.ParseRPCRequest(uc.block(), argBuf[:0])
	if err != nil {
		us.w.log.Printf("uwsgi: bad RPC request from %s: %v", uc.Conn.RemoteAddr(), err)
		return
	}
	fn := lookupRPC(string(name))
	if fn == nil {
		us.w.log.Printf("uwsgi: RPC function %q not found", name)
		return
	}
	var result []byte
	func() {
		defer func() {
			if p := recover(); p != nil {
				us.w.log.Printf("uwsgi: RPC function %q panicked: %v", name, p)
				result = nil
			}
		}()
		result = fn(args...)
	}()
	if result == nil {
		return
	}
	switch uc.hdr.Modifier2 {
	case proto.RPCRaw:
		_, _ = uc.Conn.Write(result)
	default:
		_, _ = uc.Conn.Write(proto.AppendRPCReply(nil, result))
	}
}
