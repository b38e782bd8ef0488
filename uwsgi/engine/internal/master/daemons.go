package master

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/internal/proc"
)

// An attached daemon (--attach-daemon, --attach-daemon2,
// --smart-attach-daemon[2]): a command the master runs next to the workers.
// A "dumb" daemon must stay in the foreground: the master respawns it when
// it exits (throttled as uWSGI does) and stops it at shutdown. A "smart"
// one is watched through its pidfile, respawned when the pid in it is gone,
// and left running at shutdown. All of them survive graceful reloads: the
// master does not restart. A binary upgrade re-executes the master: the
// old image stops the dumb daemons and the new one starts them again, and
// watches a smart one again without restarting it while it lives (uWSGI's
// reload does the same).
type attachedDaemon struct {
	cmd        string
	pidfile    string // smart daemon
	daemonizes bool   // smart: the command daemonizes itself and writes the pidfile
	stopSignal syscall.Signal
	// reloadSignal, when set (reloadsignal=), replaces stopSignal when the
	// master stops a dumb daemon to re-execute (a binary upgrade), as
	// uWSGI's reload does.
	reloadSignal syscall.Signal
	// freq is how many one-second checks a smart daemon's pidfile may name
	// no live process after a spawn before it is spawned again (freq=; 0
	// is uWSGI's default 10, see checks): a daemonizing command takes time
	// to write it.
	freq        int
	maxThrottle time.Duration
	control     bool // the instance stops when it dies
	dir         string
	touch       []string

	mu       sync.Mutex
	pid      int
	respawns int
	last     time.Time
}

// checks is the daemon's freq, or uWSGI's default of 10.
func (d *attachedDaemon) checks() int {
	if d.freq > 0 {
		return d.freq
	}
	return 10
}

// ParseDaemons reads the daemon options.
func ParseDaemons(cfg *config.Config) ([]*attachedDaemon, error) {
	var ds []*attachedDaemon
	for _, c := range cfg.Strings("attach-daemon") {
		ds = append(ds, &attachedDaemon{cmd: c, stopSignal: syscall.SIGTERM})
	}
	for _, c := range cfg.Strings("attach-control-daemon") {
		ds = append(ds, &attachedDaemon{cmd: c, stopSignal: syscall.SIGTERM, control: true})
	}
	for _, opt := range []string{"smart-attach-daemon", "smart-attach-daemon2"} {
		for _, v := range cfg.Strings(opt) {
			pidfile, cmd, ok := strings.Cut(strings.TrimSpace(v), " ")
			if !ok || strings.TrimSpace(cmd) == "" {
				return nil, fmt.Errorf("uwsgi: invalid --%s %q: want PIDFILE COMMAND", opt, v)
			}
			ds = append(ds, &attachedDaemon{cmd: strings.TrimSpace(cmd), pidfile: pidfile, daemonizes: opt == "smart-attach-daemon", stopSignal: syscall.SIGTERM})
		}
	}
	for _, v := range cfg.Strings("attach-daemon2") {
		d, err := parseDaemon2(v)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: invalid --attach-daemon2 %q: %w", v, err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

func parseDaemon2(v string) (*attachedDaemon, error) {
	d := &attachedDaemon{stopSignal: syscall.SIGTERM}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		num := func() (int, error) {
			n, err := strconv.Atoi(val)
			if err != nil {
				return 0, fmt.Errorf("%s=%q: not a number", k, val)
			}
			return n, nil
		}
		switch k {
		case "cmd", "command", "exec":
			d.cmd = val
		case "pidfile":
			d.pidfile = val
		case "daemonize", "daemon":
			d.daemonizes = val != "0" && val != "false"
		case "stopsignal", "stop_signal":
			n, err := num()
			if err != nil {
				return nil, err
			}
			d.stopSignal = syscall.Signal(n)
		case "max_throttle":
			n, err := num()
			if err != nil {
				return nil, err
			}
			d.maxThrottle = time.Duration(n) * time.Second
		case "control":
			d.control = val != "0" && val != "false"
		case "chdir":
			d.dir = val
		case "touch":
			d.touch = append(d.touch, strings.Split(val, ";")...)
		case "reloadsignal", "reload_signal":
			n, err := num()
			if err != nil {
				return nil, err
			}
			d.reloadSignal = syscall.Signal(n)
		case "freq":
			n, err := num()
			if err != nil {
				return nil, err
			}
			if n < 1 {
				return nil, fmt.Errorf("freq=%d: want at least 1", n)
			}
			d.freq = n
		default:
			return nil, fmt.Errorf("unknown or unsupported key %q (known: cmd, pidfile, daemonize, stopsignal, reloadsignal, freq, max_throttle, control, chdir, touch)", k)
		}
	}
	if d.cmd == "" {
		return nil, fmt.Errorf("no cmd=")
	}
	return d, nil
}

// daemonSupervisor runs the daemons until stop.
type daemonSupervisor struct {
	daemons []*attachedDaemon
	log     *logger.Logger
	mercy   time.Duration
	stopc   chan struct{}
	wg      sync.WaitGroup
}

// StartDaemons starts the attached daemons (--attach-daemon*, --smart-attach-daemon*) and
// supervises them; mercy bounds their stop.
func StartDaemons(cfg *config.Config, log *logger.Logger, mercy time.Duration) (*daemonSupervisor, error) {
	ds, err := ParseDaemons(cfg)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	s := &daemonSupervisor{daemons: ds, log: log, mercy: max(mercy, time.Second), stopc: make(chan struct{})}
	for _, d := range ds {
		s.wg.Add(1)
		if d.pidfile != "" {
			go s.watchSmart(d)
		} else {
			go s.runDumb(d)
		}
	}
	return s, nil
}

func (s *daemonSupervisor) command(d *attachedDaemon) *exec.Cmd {
	c := exec.Command("/bin/sh", "-c", d.cmd)
	c.Stdout, c.Stderr = s.log.Output(), s.log.Output()
	c.Dir = d.dir
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return c
}

// throttle is uWSGI's pause before a respawn: nothing if the daemon ran
// more than 3 s, else (respawns - seconds it ran) seconds, at least 1, at
// most max_throttle (5 minutes by default).
func (d *attachedDaemon) throttle(now time.Time) time.Duration {
	ran := now.Sub(d.last)
	if d.last.IsZero() || ran > 3*time.Second {
		return 0
	}
	t := time.Duration(d.respawns)*time.Second - ran.Truncate(time.Second)
	t = max(t, time.Second)
	limit := 300 * time.Second
	if d.maxThrottle > 0 {
		limit = d.maxThrottle
	}
	return min(t, limit)
}

func (s *daemonSupervisor) sleep(d time.Duration) bool {
	select {
	case <-s.stopc:
		return false
	case <-time.After(d):
		return true
	}
}

func (s *daemonSupervisor) stopped() bool {
	select {
	case <-s.stopc:
		return true
	default:
		return false
	}
}

func (s *daemonSupervisor) runDumb(d *attachedDaemon) {
	defer s.wg.Done()
	for !s.stopped() {
		d.mu.Lock()
		t := d.throttle(time.Now())
		d.mu.Unlock()
		if t > 0 {
			s.log.Printf("[uwsgi-daemons] throttling %q for %d seconds", d.cmd, int(t.Seconds()))
			if !s.sleep(t) {
				return
			}
		}
		c := s.command(d)
		d.mu.Lock()
		err := process.StartCmd(c)
		if err == nil {
			d.pid, d.last = c.Process.Pid, time.Now()
			d.respawns++
		}
		d.mu.Unlock()
		if err != nil {
			s.log.Printf("[uwsgi-daemons] cannot start %q: %v", d.cmd, err)
			d.mu.Lock()
			d.last = time.Now()
			d.mu.Unlock()
			continue
		}
		s.log.Printf("[uwsgi-daemons] spawning %q (uid: %d gid: %d) pid: %d", d.cmd, os.Getuid(), os.Getgid(), c.Process.Pid)
		done := make(chan struct{})
		go s.watchTouch(d, c, done)
		_ = process.WaitCmd(c)
		close(done)
		d.mu.Lock()
		d.pid = 0
		d.mu.Unlock()
		if s.stopped() {
			return
		}
		s.log.Printf("[uwsgi-daemons] %q (pid: %d) %s", d.cmd, c.Process.Pid, proc.DescribeExit(c.ProcessState))
		if d.control {
			s.log.Printf("[uwsgi-daemons] control daemon %q died: stopping the instance", d.cmd)
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			return
		}
	}
}

// watchTouch restarts a daemon when one of its touch= files changes.
func (s *daemonSupervisor) watchTouch(d *attachedDaemon, c *exec.Cmd, done chan struct{}) {
	if len(d.touch) == 0 {
		return
	}
	seen := map[string]time.Time{}
	for _, f := range d.touch {
		seen[f] = modTime(f)
	}
	for {
		select {
		case <-done:
			return
		case <-time.After(time.Second):
		}
		for _, f := range d.touch {
			if mt := modTime(f); !mt.Equal(seen[f]) {
				seen[f] = mt
				s.log.Printf("[uwsgi-daemons] %s touched: restarting %q", f, d.cmd)
				d.mu.Lock()
				d.last = time.Time{} // no throttle for a requested restart
				d.mu.Unlock()
				_ = syscall.Kill(-c.Process.Pid, d.stopSignal)
			}
		}
	}
}

func modTime(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// watchSmart checks the pidfile every second, as uWSGI's master does. A
// daemon seen running whose process is gone is spawned again at once; one
// just spawned has freq checks to write its pidfile (a daemonizing command
// forks first), after which it is spawned again if its command exited,
// or reported as not daemonizing if it still runs. One found alive at the
// start (left by a previous master or image) is kept, as uWSGI keeps it,
// and reaped when it dies if it is our child.
func (s *daemonSupervisor) watchSmart(d *attachedDaemon) {
	defer s.wg.Done()
	running := false
	if pid := readPidfile(d.pidfile); pid > 0 && proc.Alive(pid) {
		s.log.Printf("[uwsgi-daemons] found valid/active pidfile for %q (pid: %d)", d.cmd, pid)
		process.WaitInherited(pid) // a --smart-attach-daemon2 the previous master image started
		running = true
	}
	var exited chan struct{} // closed when the last spawn's command exited; nil: none runs
	checks := 0
	for {
		switch pid := readPidfile(d.pidfile); {
		case pid > 0 && proc.Alive(pid):
			running, checks = true, 0
		case running || exited == nil:
			exited, running, checks = s.spawnSmart(d), false, 0
		default:
			if checks++; checks < d.checks() {
				break
			}
			n := checks
			checks = 0
			select {
			case <-exited:
				s.log.Printf("[uwsgi-daemons] no live process in %s for %q after %d checks: spawning it again", d.pidfile, d.cmd, n)
				exited = s.spawnSmart(d)
			default:
				s.log.Printf("[uwsgi-daemons] %q did not daemonize !!! (no live process in %s after %d checks)", d.cmd, d.pidfile, n)
			}
		}
		if !s.sleep(time.Second) {
			return
		}
	}
}

// spawnSmart starts a smart daemon and returns a channel closed when its
// command exits (nil if it did not start).
func (s *daemonSupervisor) spawnSmart(d *attachedDaemon) chan struct{} {
	if t := d.throttle(time.Now()); t > 0 {
		s.log.Printf("[uwsgi-daemons] throttling %q for %d seconds", d.cmd, int(t.Seconds()))
		if !s.sleep(t) {
			return nil
		}
	}
	c := s.command(d)
	if err := process.StartCmd(c); err != nil {
		s.log.Printf("[uwsgi-daemons] cannot start %q: %v", d.cmd, err)
		return nil
	}
	d.last = time.Now()
	d.respawns++
	s.log.Printf("[uwsgi-daemons] spawning %q (uid: %d gid: %d) pid: %d", d.cmd, os.Getuid(), os.Getgid(), c.Process.Pid)
	if !d.daemonizes {
		if err := os.WriteFile(d.pidfile, []byte(strconv.Itoa(c.Process.Pid)+"\n"), 0o644); err != nil {
			s.log.Printf("[uwsgi-daemons] writing %s: %v", d.pidfile, err)
		}
	}
	exited := make(chan struct{})
	go func() {
		_ = process.WaitCmd(c) // a daemonizing one forks, writes its pidfile and exits
		close(exited)
	}()
	return exited
}

func readPidfile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// Stop ends the supervision: dumb daemons get their stop signal (their
// whole process group), then SIGKILL after the mercy; smart ones are left
// running, as uWSGI leaves them.
func (s *daemonSupervisor) Stop() { s.stop(false) }

// StopForReexec is Stop before the master re-executes (a binary upgrade):
// a dumb daemon with reloadsignal= gets that signal instead of its stop
// signal, as uWSGI's reload sends it; the new image starts it again.
func (s *daemonSupervisor) StopForReexec() { s.stop(true) }

func (s *daemonSupervisor) stop(reexec bool) {
	if s == nil {
		return
	}
	close(s.stopc)
	deadline := time.Now().Add(s.mercy)
	for _, d := range s.daemons {
		d.mu.Lock()
		pid := d.pid
		d.mu.Unlock()
		if pid <= 0 || d.pidfile != "" {
			continue
		}
		s.log.Printf("[uwsgi-daemons] stopping daemon (pid: %d): %s", pid, d.cmd)
		sig := d.stopSignal
		if reexec && d.reloadSignal > 0 {
			sig = d.reloadSignal
		}
		_ = syscall.Kill(-pid, sig)
		for proc.Alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if proc.Alive(pid) {
			s.log.Printf("[uwsgi-daemons] daemon did not die in time, killing (pid: %d): %s", pid, d.cmd)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	s.wg.Wait()
}
