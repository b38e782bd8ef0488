package master

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// TestFailedReexecRestartsDaemons: the re-exec of a binary upgrade stops
// the dumb daemons for the new image; when the exec fails, the running
// master goes on and starts them again itself.
func TestFailedReexecRestartsDaemons(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	cfg, err := config.Load([]string{"--http-socket", ":0", "--master", "--attach-daemon", "echo $$ >> " + pids + "; exec sleep 300"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := options.ReadOptions(cfg)
	m := newMaster(cfg, opts, logger.NewLogger(io.Discard), sysEnv{})
	if m.board, err = scoreboard.Create(4, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.board.Close() })
	m.exe = filepath.Join(dir, "missing") // the exec fails
	if err := m.startDaemons(); err != nil {
		t.Fatal(err)
	}
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
