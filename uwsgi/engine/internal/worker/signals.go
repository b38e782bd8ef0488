package worker

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
)

// The uWSGI signal framework, worker side. Handlers are registered by the
// app's main() (in every worker, before uwsgi.Run); the registrations,
// timers and crons are told to the master when the worker starts, and the
// master routes every raised signal to its target (carrying the target to
// the master is what uWSGI's gccgo plugin failed to do).

// signalRegistry is this process's handlers and the requests to pass on.
type signalRegistry struct {
	mu       sync.Mutex
	handlers [256]func(uint8)
	targets  [256]string
	pending  []handoff.Msg // messages for the master, sent when the worker starts
	sent     []handoff.Msg // registrations sent, sent again to a master re-executed in place
	worker   *Worker       // set once serving in a spawned worker
}

// signals is the process's signal handlers: a documented singleton, filled
// by the app's main() (RegisterSignal) before Run; the worker attaches to it
// when it starts.
var signals signalRegistry

// ErrNoMaster is returned by the signal functions without a master.
var ErrNoMaster = errors.New("uwsgi: signals need a master (--master)")

// validTarget reports whether uwsgo can route to target.
func validTarget(t string) bool {
	switch t {
	case "", "worker", "worker0", "workers", "active-workers":
		return true
	}
	if n, ok := strings.CutPrefix(t, "worker"); ok {
		id, err := strconv.Atoi(n)
		return err == nil && id > 0
	}
	return false
}

// RegisterSignal records handler for signum, to be run in target.
func RegisterSignal(signum uint8, target string, handler func(uint8)) error {
	if !validTarget(target) {
		return fmt.Errorf("uwsgi: invalid signal target %q (worker, workers, active-workers, workerN)", target)
	}
	if target == "" {
		target = "worker"
	}
	signals.mu.Lock()
	defer signals.mu.Unlock()
	signals.handlers[signum] = handler
	signals.targets[signum] = target
	signals.queueLocked(handoff.Msg{Kind: handoff.MsgRegister, Signum: signum, Target: target})
	return nil
}

// SignalRegistered reports whether this process has a handler for signum.
func SignalRegistered(signum uint8) bool {
	signals.mu.Lock()
	defer signals.mu.Unlock()
	return signals.handlers[signum] != nil
}

// RaiseSignal asks the master to route signum.
func RaiseSignal(signum uint8) error {
	return signals.Send(handoff.Msg{Kind: handoff.MsgSignal, Signum: signum})
}

// AddTimer asks the master to raise signum every seconds; uwsgo's master
// keeps one timer however many workers ask for the same one.
func AddTimer(signum uint8, seconds, iterations int) error {
	if seconds < 1 {
		return fmt.Errorf("uwsgi: timer for signal %d: seconds must be >= 1", signum)
	}
	return signals.Send(handoff.Msg{Kind: handoff.MsgTimer, Signum: signum, Seconds: seconds, Iterations: iterations})
}

// AddCron asks the master to raise signum when the local time matches
// (uWSGI's fields; a negative field -N means every N).
func AddCron(signum uint8, minute, hour, day, month, weekday int) error {
	return signals.Send(handoff.Msg{Kind: handoff.MsgCron, Signum: signum, Cron: [5]int{minute, hour, day, month, weekday}})
}

// Send passes a control message to the master now, or when the worker starts.
func (r *signalRegistry) Send(m handoff.Msg) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queueLocked(m)
}

func (r *signalRegistry) queueLocked(m handoff.Msg) error {
	if m.Kind != handoff.MsgSignal {
		r.sent = append(r.sent, m)
	}
	if r.worker == nil {
		r.pending = append(r.pending, m)
		return nil
	}
	return r.worker.sendCtrl(m)
}

// attach makes w the process's worker and passes on what was queued.
func (r *signalRegistry) attach(w *Worker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.worker = w
	for _, m := range r.pending {
		_ = w.sendCtrl(m)
	}
	r.pending = nil
}

// handler returns the handler of signum.
func (r *signalRegistry) handler(signum uint8) func(uint8) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handlers[signum]
}

// sendCtrl writes one message to the master. Every write to the control
// channel goes through here, under ctrlMu, so messages never interleave.
// A raised signal (MsgSignal) never waits: see raiseCtrl. Other messages
// wait for room, with ctrlStalled set while they do.
func (w *Worker) sendCtrl(m handoff.Msg) error {
	if w.ctrl == nil {
		return ErrNoMaster
	}
	if m.Kind == handoff.MsgSignal {
		return w.raiseCtrl(m)
	}
	w.ctrlMu.Lock()
	defer w.ctrlMu.Unlock()
	line := m.Wire()
	n, err := handoff.WriteNoWait(w.ctrl, line)
	if n == len(line) || err != nil && !errors.Is(err, handoff.ErrFull) {
		return err
	}
	w.ctrlStalled.Store(true)
	defer w.ctrlStalled.Store(false)
	_, err = w.ctrl.Write(line[n:])
	return err
}

// ErrSignalQueueFull is returned by RaiseSignal when the master does not
// read its control channel fast enough (uWSGI's "SIGNAL QUEUE IS FULL").
var ErrSignalQueueFull = errors.New("uwsgi: signal queue is full")

// raiseCtrl writes a raised signal without blocking, as uWSGI writes its
// signal socket: a request that raises a signal while the master is
// stopped or busy gets ErrSignalQueueFull and one log line, never a stuck
// handler. It waits for ctrlMu only while its holder is not stalled (other
// raises hold it for one non-blocking write). A line the socket took only
// part of is finished by a goroutine of its own, stalled, holding ctrlMu
// until it is done.
func (w *Worker) raiseCtrl(m handoff.Msg) error {
	for !w.ctrlMu.TryLock() {
		if w.ctrlStalled.Load() {
			return w.raiseFull(m.Signum)
		}
		runtime.Gosched()
	}
	line := m.Wire()
	n, err := handoff.WriteNoWait(w.ctrl, line)
	switch {
	case n == len(line):
		w.ctrlMu.Unlock()
		return nil
	case n > 0:
		w.ctrlStalled.Store(true)
		go func() {
			_, _ = w.ctrl.Write(line[n:])
			w.ctrlStalled.Store(false)
			w.ctrlMu.Unlock()
		}()
		return nil
	case errors.Is(err, handoff.ErrFull):
		w.ctrlMu.Unlock()
		return w.raiseFull(m.Signum)
	}
	w.ctrlMu.Unlock()
	return err
}

func (w *Worker) raiseFull(signum uint8) error {
	w.log.Printf("*** SIGNAL QUEUE IS FULL: buffer size %d bytes (you can tune it with --signal-bufsize) *** could not raise signal %d from worker %d", handoff.SendBuffer(w.ctrl), signum, w.ID)
	return ErrSignalQueueFull
}

// runSignals is the worker's dedicated signal goroutine: handlers run one
// at a time, in order; a panicking handler is logged and the worker lives.
func (w *Worker) runSignals() {
	slot := w.board.Worker(w.slot)
	for signum := range w.sigq {
		h := signals.handler(signum)
		if h == nil {
			w.log.Printf("error managing signal %d on worker %d", signum, w.ID)
			continue
		}
		slot.Signals.Add(1)
		func() {
			defer func() {
				if p := recover(); p != nil {
					w.log.Printf("uwsgi: signal %d handler panicked on worker %d: %v", signum, w.ID, p)
				}
			}()
			h(signum)
		}()
	}
}

// deliverSignal queues signum for the signal goroutine; a full queue drops
// it with uWSGI's message.
func (w *Worker) deliverSignal(signum uint8) {
	select {
	case w.sigq <- signum:
	default:
		w.log.Printf("*** SIGNAL QUEUE IS FULL: %d signals (you can tune it with --signal-bufsize) *** could not deliver signal %d to worker %d", cap(w.sigq), signum, w.ID)
	}
}

// AddFileMonitor asks the master to raise signum whenever path (a file or
// a directory) changes (inotify).
func AddFileMonitor(signum uint8, path string) error {
	return signals.Send(handoff.Msg{Kind: handoff.MsgFileMon, Signum: signum, Path: path})
}

// resend passes every registration on again (a new master image asks).
func (r *signalRegistry) resend() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.worker == nil {
		return
	}
	for _, m := range r.sent {
		_ = r.worker.sendCtrl(m)
	}
}
