package emperor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/internal/proc"
)

// Protocol bytes (uWSGI's core/emperor.c).
const (
	msgSpawned   = 1
	msgConfig    = 2
	msgAccepting = 5
	msgLoyal     = 17
	msgStopMe    = 22
	msgHeartbeat = 26

	cmdStop         = 0
	cmdReload       = 1
	cmdGracefulStop = 2
)

// vassal is one config file and the instance running it.
type vassal struct {
	path, name string
	monitor    string
	mtime      time.Time
	uid, gid   int
	removed    bool // stop it and forget it once it exited
	refused    bool // --emperor-tyrant refused the file
	run        *run // nil while no process runs
	respawns   int
	firstRun   time.Time
	lastRun    time.Time
	// the blacklist: a vassal that died before it was loyal waits
	throttle                  time.Duration
	attempts                  int
	firstAttempt, lastAttempt time.Time
	nextStart                 time.Time // start again at this time (zero: not planned)
}

// run is one process of a vassal.
type run struct {
	pid                                 int
	ctrl                                *os.File // the Emperor's end of the socketpair
	born                                time.Time
	ready, accepting, loyal, gone       bool
	lastReady, lastAccepting, lastLoyal time.Time
	lastHeartbeat, stopAt, cursedAt     time.Time
}

// binary is the program that runs the vassal file.
func (v *vassal) binary(def string) string {
	for _, key := range []string{"binary-path", "privileged-binary-patch", "unprivileged-binary-patch"} {
		if b, err := config.FileValue(v.path, key); err == nil && b != "" {
			return b
		}
	}
	return def
}

// argv is the vassal's command line, as uWSGI's Emperor builds it.
func (v *vassal) argv(o Options, bin string) []string {
	args := []string{bin}
	for _, inc := range o.IncludesBefore {
		args = append(args, "--include", inc)
	}
	for _, s := range o.Sets {
		args = append(args, "--set", s)
	}
	kind, _ := config.FileKind(v.path)
	args = append(args, "--"+kind, v.path)
	for _, inc := range o.Includes {
		args = append(args, "--include", inc)
	}
	return args
}

// vassalEnv is the Emperor's environment for a vassal: no service manager
// variables of the Emperor's own, UWSGI_VASSAL_X as UWSGI_X, and the fd.
func vassalEnv(fd int) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, val, _ := strings.Cut(kv, "=")
		switch {
		case k == "NOTIFY_SOCKET" || k == "UWSGI_RELOADS" || k == "UWSGI_EMPEROR_FD" || strings.HasPrefix(k, "LISTEN_") || strings.HasPrefix(k, "WATCHDOG_"):
			continue
		case strings.HasPrefix(k, "UWSGI_VASSAL_"):
			env = append(env, "UWSGI_"+strings.TrimPrefix(k, "UWSGI_VASSAL_")+"="+val)
			continue
		}
		env = append(env, kv)
	}
	return append(env, fmt.Sprintf("UWSGI_EMPEROR_FD=%d", fd))
}

// start runs the vassal.
func (v *vassal) start(e *emperor) {
	v.nextStart = time.Time{}
	if e.o.Tyrant && (v.uid == 0 || v.gid == 0) {
		if !v.refused {
			e.logf("[emperor-tyrant] invalid permissions for vassal %s: a file owned by root is not run", v.name)
		}
		v.refused = true
		return
	}
	bin := v.binary(e.o.Binary)
	ours, theirs, err := socketpair()
	if err != nil {
		e.logf("[emperor] socketpair(): %v", err)
		v.retryLater(e)
		return
	}
	defer theirs.Close()
	argv := v.argv(e.o, bin)
	path, err := exec.LookPath(bin)
	if err != nil {
		ours.Close()
		e.logf("[emperor] vassal %s: binary %s: %v", v.name, bin, err)
		v.retryLater(e)
		return
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: vassalEnv(3), Dir: filepath.Dir(v.path),
		Stdout: e.o.Output, Stderr: e.o.Output, ExtraFiles: []*os.File{theirs},
		SysProcAttr: vassalAttrs()}
	if e.o.Tyrant {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(v.uid), Gid: uint32(v.gid)}
		e.logf("[emperor-tyrant] dropping privileges to %d %d for instance %s", v.uid, v.gid, v.name)
	}
	if err := cmd.Start(); err != nil {
		ours.Close()
		e.logf("[emperor] vassal %s: %v", v.name, err)
		v.retryLater(e)
		return
	}
	now := time.Now()
	r := &run{pid: cmd.Process.Pid, ctrl: ours, born: now}
	v.run, v.lastRun = r, now
	if v.firstRun.IsZero() {
		v.firstRun = now
	} else {
		v.respawns++
	}
	e.logf("[emperor] starting vassal %s (pid: %d): %s", v.name, r.pid, strings.Join(argv, " "))
	go func() {
		var b [1]byte
		for {
			if n, err := ours.Read(b[:]); n != 1 || err != nil {
				e.events <- event{kind: evGone, v: v, run: r}
				return
			}
			e.events <- event{kind: evByte, v: v, run: r, b: b[0]}
		}
	}()
	go func() {
		_ = cmd.Wait()
		e.events <- event{kind: evExit, v: v, run: r, st: cmd.ProcessState}
	}()
}

// retryLater plans another start after the throttle.
func (v *vassal) retryLater(e *emperor) {
	now := time.Now()
	if v.throttle == 0 {
		v.throttle = e.o.Throttle
		v.firstAttempt = now
	} else if v.throttle < e.o.MaxThrottle {
		v.throttle += e.o.Throttle
	} else {
		e.logf("[emperor] maximum throttle level for vassal %s reached !!!", v.name)
		v.throttle /= 2
	}
	v.attempts++
	v.lastAttempt = now
	v.nextStart = now.Add(v.throttle)
	e.logf("[emperor] throttling vassal %s for %v", v.name, v.throttle)
}

func (v *vassal) onByte(b byte, e *emperor) {
	r, now := v.run, time.Now()
	switch b {
	case msgSpawned:
		r.ready, r.lastReady = true, now
		e.logf("[emperor] vassal %s has been spawned", v.name)
	case msgAccepting:
		r.accepting, r.lastAccepting = true, now
		e.logf("[emperor] vassal %s is ready to accept requests", v.name)
	case msgLoyal:
		r.loyal, r.lastLoyal = true, now
		v.throttle, v.attempts = 0, 0 // off the blacklist
		e.logf("[emperor] vassal %s is now loyal", v.name)
	case msgHeartbeat:
		r.lastHeartbeat = now
	case msgStopMe:
		e.logf("[emperor] vassal %s asked to be stopped", v.name)
		v.removed = true // a later scan starts it again while its file exists
		v.stop(e)
	case msgConfig:
		// the config pipe (UWSGI_EMPEROR_FD_CONFIG) is not offered
	}
}

// command writes one command byte to the running vassal.
func (v *vassal) command(b byte, e *emperor) {
	if v.run == nil || v.run.gone {
		return
	}
	if b == cmdReload {
		e.logf("[emperor] reload the uwsgi instance %s", v.name)
	}
	if _, err := v.run.ctrl.Write([]byte{b}); err != nil {
		e.logf("[emperor] vassal %s: %v", v.name, err)
	}
}

// stop stops the vassal (removed or the Emperor ending).
func (v *vassal) stop(e *emperor) {
	if v.run == nil {
		delete(e.vassals, v.path)
		e.logf("[emperor] removed uwsgi instance %s", v.name)
		return
	}
	if !v.run.stopAt.IsZero() {
		return
	}
	v.run.stopAt = time.Now()
	e.logf("[emperor] stop the uwsgi instance %s", v.name)
	b := byte(cmdStop)
	if e.o.Graceful {
		b = cmdGracefulStop
	}
	v.command(b, e)
	if v.run.gone {
		_ = syscall.Kill(v.run.pid, syscall.SIGKILL) // it cannot hear us
	}
}

// onExit buries the vassal's process: gone for good when it was removed,
// else started again (after the throttle if it never became loyal).
func (v *vassal) onExit(st *os.ProcessState, e *emperor) {
	r := v.run
	v.run = nil
	r.ctrl.Close()
	if v.removed {
		delete(e.vassals, v.path)
		e.logf("[emperor] removed uwsgi instance %s", v.name)
		return
	}
	e.logf("[emperor] vassal %s (pid: %d) %s", v.name, r.pid, proc.DescribeExit(st))
	if !r.loyal {
		v.retryLater(e)
		return
	}
	v.start(e)
}
