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
	cmd         string
	pidfile     string // smart daemon
	daemonizes  bool   // smart: the command daemonizes itself and writes the pidfile
	stopSignal  syscall.Signal
	maxThrottle time.Duration
	control     bool // the instance stops when it dies
	dir         string
	touch       []string

	mu       sync.Mutex
	pid      int
	respawns int
	last     time.Time
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
		case "reloadsignal", "reload_signal", "freq":
			// reloads keep daemons running; the pidfile is checked every second
		default:
			return nil, fmt.Errorf("unknown or unsupported key %q (known: cmd, pidfile, daemonize, stopsignal, max_throttle, control, chdir, touch)", k)
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

// watchSmart checks the pidfile every second and respawns the daemon when
// the process it names is gone. One found alive at the start (left by a
// previous master or image) is kept, as uWSGI keeps it, and reaped when it
// dies if it is our child.
func (s *daemonSupervisor) watchSmart(d *attachedDaemon) {
	defer s.wg.Done()
	if pid := readPidfile(d.pidfile); pid > 0 && proc.Alive(pid) {
		s.log.Printf("[uwsgi-daemons] found valid/active pidfile for %q (pid: %d)", d.cmd, pid)
		process.WaitInherited(pid) // a --smart-attach-daemon2 the previous master image started
	}
	for {
		if pid := readPidfile(d.pidfile); pid <= 0 || !proc.Alive(pid) {
			s.spawnSmart(d)
		}
		if !s.sleep(time.Second) {
			return
		}
	}
}

func (s *daemonSupervisor) spawnSmart(d *attachedDaemon) {
	if t := d.throttle(time.Now()); t > 0 {
		s.log.Printf("[uwsgi-daemons] throttling %q for %d seconds", d.cmd, int(t.Seconds()))
		if !s.sleep(t) {
			return
		}
	}
	c := s.command(d)
	if err := process.StartCmd(c); err != nil {
		s.log.Printf("[uwsgi-daemons] cannot start %q: %v", d.cmd, err)
		return
	}
	d.last = time.Now()
	d.respawns++
	s.log.Printf("[uwsgi-daemons] spawning %q (uid: %d gid: %d) pid: %d", d.cmd, os.Getuid(), os.Getgid(), c.Process.Pid)
	if d.daemonizes {
		_ = process.WaitCmd(c) // it forks and writes its pidfile, then this process exits
		return
	}
	if err := os.WriteFile(d.pidfile, []byte(strconv.Itoa(c.Process.Pid)+"\n"), 0o644); err != nil {
		s.log.Printf("[uwsgi-daemons] writing %s: %v", d.pidfile, err)
	}
	go func() { _ = process.WaitCmd(c) }()
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
func (s *daemonSupervisor) Stop() {
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
		_ = syscall.Kill(-pid, d.stopSignal)
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
