package uwsgi

import (
	"fmt"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/engine"
)

// RegisterSignal registers handler for the uWSGI signal signum, run in
// receiver: "" or "worker" (one worker, in turn), "workers" (every worker),
// "active-workers", or "workerN". Call it from main(), before Run: every
// worker registers its handler; the master learns the target and routes
// each raised signal there. Each worker runs its handlers in one dedicated
// goroutine, in order. It returns false without a master (as uWSGI) or for
// a target uwsgo cannot route.
func RegisterSignal(signum uint8, receiver string, handler func(uint8)) bool {
	if !engine.HasMaster(loadConfig()) {
		fmt.Fprintln(os.Stderr, "uwsgi: you cannot register signals without a master (--master)")
		return false
	}
	if err := engine.RegisterSignal(signum, receiver, handler); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return false
	}
	return true
}

// SignalRegistered reports whether this process registered a handler for signum.
func SignalRegistered(signum uint8) bool { return engine.SignalRegistered(signum) }

// Signal raises signum: the master routes it to its target. From main()
// (before Run) it is sent once the worker runs. It never waits for the
// master: while the master does not read its control channel and the
// channel is full, it returns ErrSignalQueueFull (and the worker logs
// uWSGI's "SIGNAL QUEUE IS FULL" line).
func Signal(signum uint8) error { return engine.RaiseSignal(signum) }

// ErrSignalQueueFull is Signal's error when the master's control channel
// is full.
var ErrSignalQueueFull = engine.ErrSignalQueueFull

// AddTimer makes the master raise signum every seconds. Every worker's
// main() may call it: the master keeps one timer (uWSGI added one per call).
func AddTimer(signum uint8, seconds int) error { return engine.AddTimer(signum, seconds, 0) }

// AddRBTimer is AddTimer that stops after iterations signals (0: never).
func AddRBTimer(signum uint8, seconds, iterations int) error {
	return engine.AddTimer(signum, seconds, iterations)
}

// AddCron makes the master raise signum when the local time matches, with
// uWSGI's rules: minute, hour, day (1-31), month (1-12), weekday (0-6, 7 is
// Sunday); a negative field -N means every N (-1: any).
func AddCron(signum uint8, minute, hour, day, month, weekday int) error {
	return engine.AddCron(signum, minute, hour, day, month, weekday)
}

// AddFileMonitor makes the master raise signum whenever path (a file or a
// directory) changes; it uses inotify.
func AddFileMonitor(signum uint8, path string) error { return engine.AddFileMonitor(signum, path) }
