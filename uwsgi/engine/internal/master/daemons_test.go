package master

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/internal/proc"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"golang.org/x/sys/unix"
)

// daemonPids waits until path lists n pids and returns them.
func daemonPids(t *testing.T, path string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		var pids []int
		for _, f := range strings.Fields(string(b)) {
			p, _ := strconv.Atoi(f)
			pids = append(pids, p)
		}
		if len(pids) >= n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lists %v after 10s, want %d pids", path, pids, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reexecMaster is a master with the daemon option opt=v started, whose
// re-exec fails (its binary is missing from dir): it goes on and starts its
// daemons again itself.
func reexecMaster(t *testing.T, dir, opt, v string) *master {
	t.Helper()
	cfg, err := config.Load([]string{"--http-socket", ":0", "--master", opt, v}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := options.ReadOptions(cfg)
	m := newMaster(cfg, opts, logger.NewLogger(io.Discard), sysEnv{})
	if m.board, err = scoreboard.Create(4, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.board.Close() })
	m.exe = filepath.Join(dir, "missing")
	if err := m.startDaemons(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFailedReexecRestartsDaemons: the re-exec of a binary upgrade stops
// the dumb daemons for the new image; when the exec fails, the running
// master goes on and starts them again itself.
func TestFailedReexecRestartsDaemons(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	m := reexecMaster(t, dir, "--attach-daemon", "echo $$ >> "+pids+"; exec sleep 300")
	t.Cleanup(func() { m.daemons.Stop() })
	first := daemonPids(t, pids, 1)[0]
	m.reexec(2)
	if proc.Alive(first) {
		t.Fatalf("daemon %d still alive: the re-exec did not stop it", first)
	}
	second := daemonPids(t, pids, 2)[1]
	if m.daemons == nil || !proc.Alive(second) {
		t.Fatalf("no daemon after the failed re-exec (pids %d, %d)", first, second)
	}
	fd := m.board.File().Fd()
	if flags, err := unix.FcntlInt(fd, unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("the scoreboard's fd %d is left open across exec after the failed re-exec (flags %#x, %v)", fd, flags, err)
	}
}

// TestReexecSendsReloadSignal: a dumb --attach-daemon2 with reloadsignal=
// gets that signal when the master stops it to re-execute, and its
// stopsignal= when the instance stops, as uWSGI's reload and stop send them.
func TestReexecSendsReloadSignal(t *testing.T) {
	dir := t.TempDir()
	pids, got := filepath.Join(dir, "pids"), filepath.Join(dir, "signals")
	cmd := "trap 'echo usr1 >> " + got + "; exit 0' USR1; trap 'echo usr2 >> " + got + "; exit 0' USR2; echo $$ >> " + pids + "; while :; do sleep 0.05; done 2>/dev/null"
	m := reexecMaster(t, dir, "--attach-daemon2", "cmd="+cmd+",reloadsignal=10,stopsignal=12")
	first := daemonPids(t, pids, 1)[0]
	m.reexec(2)
	if proc.Alive(first) {
		t.Fatalf("daemon %d still alive after the re-exec's stop", first)
	}
	second := daemonPids(t, pids, 2)[1]
	m.daemons.Stop()
	if proc.Alive(second) {
		t.Fatalf("daemon %d still alive after the stop", second)
	}
	b, _ := os.ReadFile(got)
	if string(b) != "usr1\nusr2\n" {
		t.Fatalf("the daemon got %q, want SIGUSR1 (reloadsignal=10) at the re-exec, then SIGUSR2 (stopsignal=12) at the stop", b)
	}
}

// syncBuffer is a log sink the test reads while the supervisor writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond every 20 ms for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 20 s", what)
		}
	}
}

func lines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// TestSmartDaemonFreq: a daemonizing smart daemon has freq= one-second
// checks (uWSGI's default 10) to write its pidfile before it is spawned
// again, where the master spawned it every second; once it ran, a dead
// pid is spawned again at once. One that stays in the foreground is
// reported as not daemonizing, and not spawned twice.
func TestSmartDaemonFreq(t *testing.T) {
	start := func(t *testing.T, spec, spawns string) *syncBuffer {
		cfg, err := config.Load([]string{"--http-socket", ":0", "--master", "--attach-daemon2", spec}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out syncBuffer
		s, err := StartDaemons(cfg, logger.NewLogger(&out), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Stop() // smart daemons are left running, as uWSGI leaves them: end their process groups
			b, _ := os.ReadFile(spawns)
			for _, f := range strings.Fields(string(b)) {
				if pgid, _ := strconv.Atoi(f); pgid > 0 {
					_ = unix.Kill(-pgid, unix.SIGKILL)
				}
			}
		})
		return &out
	}
	t.Run("slow pidfile", func(t *testing.T) {
		dir := t.TempDir()
		pidfile, spawns := filepath.Join(dir, "pid"), filepath.Join(dir, "spawns")
		// Each spawn logs its process group, forks a child that writes the
		// pidfile 1.5 s later, and exits.
		cmd := "echo $$ >> " + spawns + "; (sleep 1.5; sh -c 'echo $$ > " + pidfile + "; exec sleep 300') >/dev/null 2>&1 &"
		start(t, "cmd="+cmd+",pidfile="+pidfile+",daemonize=1,freq=4", spawns)
		var pid int
		waitFor(t, "live pid in the pidfile", func() bool { pid = readPidfile(pidfile); return pid > 0 && proc.Alive(pid) })
		if n := lines(spawns); n != 1 {
			t.Fatalf("spawned %d times before its pidfile appeared, want 1", n)
		}
		_ = unix.Kill(pid, unix.SIGKILL)
		waitFor(t, "second spawn after the daemon died", func() bool { return lines(spawns) == 2 })
	})
	t.Run("no pidfile", func(t *testing.T) {
		dir := t.TempDir()
		pidfile, spawns := filepath.Join(dir, "pid"), filepath.Join(dir, "spawns")
		out := start(t, "cmd=echo $$ >> "+spawns+",pidfile="+pidfile+",daemonize=1,freq=2", spawns)
		waitFor(t, "second spawn", func() bool { return lines(spawns) >= 2 })
		if !strings.Contains(out.String(), "after 2 checks: spawning it again") {
			t.Fatalf("log %q, want the respawn after freq=2 checks", out.String())
		}
	})
	t.Run("foreground", func(t *testing.T) {
		dir := t.TempDir()
		pidfile, spawns := filepath.Join(dir, "pid"), filepath.Join(dir, "spawns")
		out := start(t, "cmd=echo $$ >> "+spawns+"; exec sleep 300,pidfile="+pidfile+",daemonize=1,freq=1", spawns)
		waitFor(t, "the did-not-daemonize line", func() bool { return strings.Contains(out.String(), "did not daemonize") })
		if n := lines(spawns); n != 1 {
			t.Fatalf("a command that did not daemonize was spawned %d times, want 1", n)
		}
	})
}
