// Package emperor is uwsgo's Emperor (--emperor DIR|GLOB): it starts one
// vassal instance per config file, reloads it when the file is touched,
// stops it when the file goes away and starts it again when it dies. A
// vassal is any program that speaks the vassal side of uWSGI's Emperor
// protocol over the socket in UWSGI_EMPEROR_FD: a uwsgo app (the binary
// named by binary-path or a binary-patch option in the file, else the
// Emperor's own binary) or a real uWSGI (binary-path = /usr/bin/uwsgi).
//
// The protocol, as in uWSGI's core/emperor.c: single bytes over a stream
// socketpair. The vassal sends 1 (spawned), 5 (accepting), 17 (loyal),
// 26 (heartbeat), 22 (asks to be stopped); the Emperor sends 1 (reload),
// 0 (stop now) and 2 (stop gracefully).
package emperor

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// Options are the Emperor's settings.
type Options struct {
	Monitors          []string      // directories or globs
	Freq              time.Duration // scan period
	Throttle          time.Duration // first wait of a vassal that died unloyal
	MaxThrottle       time.Duration
	Stats             string // stats server address
	Tyrant            bool
	Graceful          bool          // stop vassals with 2, not 0
	RequiredHeartbeat time.Duration // 0: not watched
	Mercy             time.Duration // the Emperor's own shutdown
	Binary            string        // --binary-path, or the Emperor's binary
	IncludesBefore    []string
	Includes          []string
	Sets              []string
	Output            *os.File // the vassals' stdout and stderr
	// Notify, when set, gets sd_notify(3) assignments for systemd: READY=1
	// after the first scan, STATUS= with the number of vassals, STOPPING=1.
	Notify func(lines ...string)
}

// OptionsFrom reads the Emperor's options.
func OptionsFrom(cfg *config.Config) (Options, error) {
	o := Options{
		Monitors:          cfg.Strings("emperor"),
		Freq:              time.Duration(max(cfg.Int("emperor-freq"), 1)) * time.Second,
		Throttle:          time.Duration(cfg.Int("emperor-throttle")) * time.Millisecond,
		MaxThrottle:       time.Duration(cfg.Int("emperor-max-throttle")) * time.Millisecond,
		Stats:             cfg.String("emperor-stats"),
		Tyrant:            cfg.Bool("emperor-tyrant"),
		Graceful:          cfg.Bool("emperor-graceful-shutdown"),
		RequiredHeartbeat: time.Duration(cfg.Int("emperor-required-heartbeat")) * time.Second,
		Mercy:             time.Duration(cfg.Int("reload-mercy")) * time.Second,
		Binary:            cfg.String("binary-path"),
		IncludesBefore:    cfg.Strings("vassals-include-before"),
		Includes:          cfg.Strings("vassals-include"),
		Sets:              cfg.Strings("vassal-set"),
		Output:            os.Stderr,
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("uwsgi: emperor: cannot find my own binary: %v", err)
		}
		o.Binary = exe
	}
	return o, nil
}

// Logf is where the Emperor logs, one line per call.
type Logf func(format string, args ...any)

// emperor is the running Emperor; its loop goroutine owns everything.
type emperor struct {
	o       Options
	logf    Logf
	vassals map[string]*vassal // by config file path
	events  chan event
	started time.Time
	ending  time.Time // the Emperor is stopping since then
	status  string    // the last STATUS= sent
}

type eventKind uint8

const (
	evByte eventKind = iota
	evExit
	evGone // the vassal closed its end
)

type event struct {
	kind eventKind
	v    *vassal
	run  *run
	b    byte
	st   *os.ProcessState
}

// Run is the Emperor's life: it returns the exit status once it was
// stopped (SIGINT, SIGQUIT or SIGTERM) and every vassal is gone.
func Run(o Options, logf Logf) int {
	// A vassal dies with the thread that started it (Pdeathsig), as uWSGI's
	// vassals die with their Emperor: start them all from this one.
	runtime.LockOSThread()
	e := &emperor{o: o, logf: logf, vassals: map[string]*vassal{}, events: make(chan event, 64), started: time.Now()}
	logf("*** starting uwsgo Emperor (pid: %d) ***", os.Getpid())
	var stats *statsServer
	if o.Stats != "" {
		var err error
		if stats, err = startStats(o.Stats, e); err != nil {
			logf("%v", err)
			return 1
		}
		defer stats.close()
		logf("*** Emperor stats server enabled on %s ***", o.Stats)
	}
	sigc := make(chan os.Signal, 8)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)
	e.scan()
	e.notify("READY=1")
	scan := time.NewTicker(o.Freq)
	defer scan.Stop()
	second := time.NewTicker(time.Second)
	defer second.Stop()
	for {
		select {
		case sig := <-sigc:
			e.onSignal(sig.(syscall.Signal))
		case ev := <-e.events:
			e.onEvent(ev)
		case <-scan.C:
			if e.ending.IsZero() {
				e.scan()
			}
		case <-second.C:
			e.tick()
		case req := <-statsRequests(stats):
			req <- e.statsJSON()
		}
		e.notify()
		if !e.ending.IsZero() && e.running() == 0 {
			logf("The Emperor is buried.")
			return 0
		}
	}
}

func (e *emperor) onSignal(sig syscall.Signal) {
	if sig == syscall.SIGHUP {
		e.logf("[emperor] SIGHUP: reloading every vassal")
		for _, v := range e.sorted() {
			v.command(cmdReload, e)
		}
		return
	}
	if !e.ending.IsZero() {
		return
	}
	e.logf("[emperor] stopping every vassal (signal %d)...", sig)
	e.ending = time.Now()
	e.notify("STOPPING=1")
	for _, v := range e.sorted() {
		v.removed = true
		v.stop(e)
	}
}

// running counts the vassals whose process lives.
func (e *emperor) running() int {
	n := 0
	for _, v := range e.vassals {
		if v.run != nil {
			n++
		}
	}
	return n
}

func (e *emperor) sorted() []*vassal {
	out := make([]*vassal, 0, len(e.vassals))
	for _, v := range e.vassals {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// tick runs once a second: deferred starts, heartbeats, the mercy.
func (e *emperor) tick() {
	now := time.Now()
	for _, v := range e.sorted() {
		r := v.run
		switch {
		case r == nil && !v.removed && !v.nextStart.IsZero() && !now.Before(v.nextStart) && e.ending.IsZero():
			v.start(e)
		case r != nil && e.o.RequiredHeartbeat > 0 && !r.lastHeartbeat.IsZero() && now.Sub(r.lastHeartbeat) > e.o.RequiredHeartbeat:
			e.logf("[emperor] vassal %s sent no heartbeat in last %d seconds, brutally respawning it...", v.name, int(e.o.RequiredHeartbeat.Seconds()))
			r.lastHeartbeat = time.Time{}
			_ = syscall.Kill(r.pid, syscall.SIGKILL)
		case r != nil && !r.stopAt.IsZero() && now.Sub(r.stopAt) > e.o.Mercy:
			e.logf("[emperor] NO MERCY for vassal %s !!!", v.name)
			_ = syscall.Kill(r.pid, syscall.SIGKILL)
			r.stopAt = time.Time{}
		}
	}
}

func (e *emperor) onEvent(ev event) {
	v := ev.v
	if v.run != ev.run { // an event of an earlier run of this vassal
		return
	}
	switch ev.kind {
	case evByte:
		v.onByte(ev.b, e)
	case evGone:
		if !ev.run.gone {
			ev.run.gone, ev.run.cursedAt = true, time.Now()
			e.logf("[emperor] curse the uwsgi instance %s (pid: %d)", v.name, ev.run.pid)
		}
	case evExit:
		v.onExit(ev.st, e)
	}
}

// notify sends extra (if any) and the vassal count, when it changed, to
// systemd (uWSGI's Emperor words it the same way).
func (e *emperor) notify(extra ...string) {
	if e.o.Notify == nil {
		return
	}
	status := fmt.Sprintf("STATUS=The Emperor is governing %d vassals", e.running())
	if status == e.status && len(extra) == 0 {
		return
	}
	e.status = status
	e.o.Notify(append([]string{status}, extra...)...)
}
