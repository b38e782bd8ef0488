package worker

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
)

// ErrHarakiri is the cause of a request context cancelled by harakiri.
var ErrHarakiri = errors.New("uwsgi: harakiri: the request ran past its deadline")

// coreRef lets uwsgi.SetHarakiri find a request's core slot.
type coreRef struct {
	w    *Worker
	core int
}

func (w *Worker) initControls() {
	w.controls = make([]bridge.Control, w.Cores.Len())
	for i := range w.controls {
		w.controls[i].Data = &coreRef{w: w, core: i}
	}
}

// armHarakiri sets core's deadline for a request that started at start.
func (w *Worker) armHarakiri(core int, start time.Time) {
	if w.opts.Harakiri > 0 {
		w.board.Core(w.slot, core).HarakiriDeadline.Store(start.Add(w.opts.Harakiri).UnixMicro())
	}
}

// SetHarakiri changes the harakiri deadline of the request r (0 disables
// it): uWSGI's set_user_harakiri. It reports false for a request uwsgo does
// not serve.
func SetHarakiri(ctl *bridge.Control, d time.Duration) bool {
	ref, ok := ctl.Data.(*coreRef)
	if !ok {
		return false
	}
	c := ref.w.board.Core(ref.w.slot, ref.core)
	if d <= 0 {
		c.HarakiriDeadline.Store(0)
	} else {
		c.HarakiriDeadline.Store(time.Now().Add(d).UnixMicro())
	}
	return true
}

// watchHarakiri is harakiri's first stage, in the worker: a request past
// its deadline gets its context cancelled and one log line with the
// stacks. The master kills the worker if the request still runs after the
// grace period (the second stage).
func (w *Worker) watchHarakiri() {
	handled := make([]int64, w.Cores.Len())
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		w.checkHarakiri(time.Now(), handled)
	}
}

// checkHarakiri is one look of watchHarakiri at the cores, at time t;
// handled[i] is the deadline of core i already acted on.
func (w *Worker) checkHarakiri(t time.Time, handled []int64) {
	now := t.UnixMicro()
	for i := range handled {
		c := w.board.Core(w.slot, i)
		d := c.HarakiriDeadline.Load()
		if d == 0 || now < d || handled[i] == d {
			continue
		}
		handled[i] = d
		method, uri := c.Request()
		elapsed := time.Duration(now-c.RequestStart.Load()) * time.Microsecond
		w.log.Printf("*** HARAKIRI ON WORKER %d (pid: %d, core: %d) *** %s %s running for %v: cancelling its context; the worker is killed if it is still running in %v\n%s",
			w.ID, w.PID, i, method, uri, elapsed.Round(time.Millisecond), w.opts.HarakiriGrace, requestStacks(w.opts.HarakiriVerbose))
		w.controls[i].Cancel(ErrHarakiri)
	}
}

// requestLabels marks the goroutines running a request (markRequest):
// harakiri finds their stacks by this pprof label, not by function names a
// rename would silently change.
var requestLabels = pprof.WithLabels(context.Background(), pprof.Labels("uwsgo", "request"))

// requestLabel is how the goroutine profile (debug=1) prints requestLabels.
const requestLabel = `"uwsgo":"request"`

// markRequest labels the calling goroutine as serving a request, until
// unmarkRequest. Both only store a pointer: nothing is allocated.
func markRequest() { pprof.SetGoroutineLabels(requestLabels) }

// unmarkRequest clears the label markRequest set.
func unmarkRequest() { pprof.SetGoroutineLabels(context.Background()) }

// requestStacks returns the stacks of the goroutines serving requests,
// grouped as the goroutine profile groups them (all goroutines' stacks,
// from runtime.Stack, when verbose).
func requestStacks(verbose bool) []byte {
	if verbose {
		buf := make([]byte, 1<<20)
		return buf[:runtime.Stack(buf, true)]
	}
	var all bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&all, 1)
	var out []byte
	for _, g := range bytes.Split(all.Bytes(), []byte("\n\n")) {
		if bytes.Contains(g, []byte("# labels: {")) && bytes.Contains(g, []byte(requestLabel)) {
			out = append(append(out, g...), '\n', '\n')
		}
	}
	return out
}

// shouldRecycle tells whether the worker asks to be replaced after a
// request: --max-requests (with its per-worker delta, after
// --min-worker-lifetime) or --reload-on-exception.
func (w *Worker) shouldRecycle(panicked bool) string {
	if panicked && w.opts.ReloadOnException {
		return "an exception (--reload-on-exception)"
	}
	if lim := w.opts.ReloadOnRSS; lim > 0 && w.board.Worker(w.slot).RSS.Load() >= lim && time.Since(w.started) >= w.opts.MinWorkerLifetime {
		return "reload-on-rss reached"
	}
	if lim := w.opts.ReloadOnAS; lim > 0 && w.board.Worker(w.slot).VSZ.Load() >= lim && time.Since(w.started) >= w.opts.MinWorkerLifetime {
		return "reload-on-as reached"
	}
	if max := w.opts.MaxRequests; max > 0 {
		limit := max + uint64(w.ID-1)*w.opts.MaxRequestsDelta
		if w.board.Worker(w.slot).DeltaRequests.Load() >= limit && time.Since(w.started) >= w.opts.MinWorkerLifetime {
			return "max requests reached"
		}
	}
	return ""
}

// askRecycle tells the master, once, that this worker wants to be replaced.
func (w *Worker) askRecycle(reason string) {
	if w.ctrl == nil || !w.recycleAsked.CompareAndSwap(false, true) {
		return
	}
	w.log.Printf("...The work of process %d is done (%s). Seeya!", w.PID, reason)
	_ = w.sendCtrl(handoff.Msg{Kind: handoff.MsgRecycle})
}
