package uwsgi

import (
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine"
)

// RegisterRPC makes fn callable over uWSGI's RPC as name: by RPC in this
// process, and by any uWSGI or uwsgo instance through this instance's
// --socket (modifier1 173). Call it from main(): every worker registers
// it. Names are 1 to 255 bytes; at most 64 functions.
func RegisterRPC(name string, fn func(args ...[]byte) []byte) error {
	return engine.RegisterRPC(name, fn)
}

// RPC calls name with args on node: "" runs it in this process, otherwise
// node is a uwsgi socket address ("host:port" or a unix path) of a uWSGI or
// uwsgo instance. It waits up to --socket-timeout for the reply.
func RPC(node, name string, args ...[]byte) ([]byte, error) {
	timeout := time.Duration(loadConfig().Int("socket-timeout")) * time.Second
	return engine.CallRPC(node, name, max(timeout, time.Second), args...)
}
