package engine

import (
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/cache"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/worker"
)

// The names package uwsgi builds its API on. They live in the internal
// packages that implement them; these are the engine's public face.

// App is what the instance serves: a net/http handler (through the bridge)
// or a native fasthttp handler. Exactly one is set.
type App = worker.App

// RPCFunc is a function callable through uWSGI RPC.
type RPCFunc = worker.RPCFunc

// ErrHarakiri is the cause of a request's context when harakiri cancelled
// it (compare with context.Cause).
var ErrHarakiri = worker.ErrHarakiri

// ErrNoCache is the error for a cache name no --cache2 option defines.
var ErrNoCache = caches.ErrNoCache

// ErrSignalQueueFull is RaiseSignal's error when the master's control
// channel is full.
var ErrSignalQueueFull = worker.ErrSignalQueueFull

// SetHarakiri changes the harakiri deadline of the request ctl controls
// (0 disables it): uWSGI's set_user_harakiri. It reports false for a
// request uwsgo does not serve.
func SetHarakiri(ctl *bridge.Control, d time.Duration) bool { return worker.SetHarakiri(ctl, d) }

// RegisterRPC registers fn under name for uWSGI RPC calls.
func RegisterRPC(name string, fn RPCFunc) error { return worker.RegisterRPC(name, fn) }

// CallRPC calls the RPC function name on node ("" for this process).
func CallRPC(node, name string, timeout time.Duration, args ...[]byte) ([]byte, error) {
	return worker.CallRPC(node, name, timeout, args...)
}

// RegisterSignal records handler for signum, to be run in target
// ("worker" when empty, "workers", "active-workers", "workerN").
func RegisterSignal(signum uint8, target string, handler func(uint8)) error {
	return worker.RegisterSignal(signum, target, handler)
}

// SignalRegistered reports whether signum has a handler.
func SignalRegistered(signum uint8) bool { return worker.SignalRegistered(signum) }

// RaiseSignal asks the master to route signum.
func RaiseSignal(signum uint8) error { return worker.RaiseSignal(signum) }

// AddTimer asks the master to raise signum every seconds.
func AddTimer(signum uint8, seconds, iterations int) error {
	return worker.AddTimer(signum, seconds, iterations)
}

// AddCron asks the master to raise signum when the time matches the
// fields (-1 matches any value).
func AddCron(signum uint8, minute, hour, day, month, weekday int) error {
	return worker.AddCron(signum, minute, hour, day, month, weekday)
}

// AddFileMonitor asks the master to raise signum when path changes.
func AddFileMonitor(signum uint8, path string) error { return worker.AddFileMonitor(signum, path) }

// LocalCache returns the cache called name ("" = the default, the first
// created).
func LocalCache(cfg *config.Config, name string) (*cache.Cache, error) {
	return caches.LocalCache(cfg, name)
}
