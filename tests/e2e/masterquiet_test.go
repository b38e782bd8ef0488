package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// contextSwitches sums the voluntary and involuntary context switches of
// every thread of pid.
func contextSwitches(t *testing.T, pid int) int {
	t.Helper()
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.Atoi(strings.TrimSpace(v))
				n += c
			}
		}
	}
	return n
}

// masterSwitchesPerConns serves conns one-shot GET /view/ from base and
// returns how many times the master pid switched meanwhile.
func masterSwitchesPerConns(t *testing.T, pid int, base string, conns int) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get(t, c, base+"/view/") // the workers accepting
	before := contextSwitches(t, pid)
	for range conns {
		if code, body := get(t, c, base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
			t.Fatalf("GET /view/ = %d %q", code, body)
		}
	}
	return contextSwitches(t, pid) - before
}

// The master holds the listening sockets for its workers outside its own
// poller (socket.Held), so connections do not wake it: it sleeps while its
// workers serve, as real uWSGI's master does (0 switches per 1000 requests
// on 2026-12-03). With the sockets in the master's poller it woke about
// once per connection (987 context switches for 1000 one-shot requests).
// The master's own once-a-second work switches a few times per second.
func TestMasterSleepsWhileWorkersAccept(t *testing.T) {
	const conns = 1000
	t.Run("uwsgo", func(t *testing.T) {
		p, base, _, _ := masterServer(t, nil, "--processes", "2", "--disable-logging")
		waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
		if n := masterSwitchesPerConns(t, p.cmd.Process.Pid, base, conns); n > conns/10 {
			t.Fatalf("the master switched %d times during %d one-shot requests: it is woken by connections", n, conns)
		}
	})
	t.Run("real uWSGI", func(t *testing.T) {
		uw := requirePeer(t, "uwsgi")
		requirePython3Plugin(t, uw)
		app, err := filepath.Abs("../../internal/testapp/sleep.py")
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := start(t, uw, nil, "--plugin", "python3", "--wsgi-file", app, "--http-socket", addr,
			"--master", "--processes", "2", "--disable-logging")
		waitDial(t, "tcp", addr, p)
		waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
		if n := masterSwitchesPerConns(t, p.cmd.Process.Pid, "http://"+addr, conns); n > conns/10 {
			t.Fatalf("real uWSGI's master switched %d times during %d one-shot requests", n, conns)
		}
	})
}

// A worker that is one of several runs on at most as many CPUs as it has
// cores (worker/procs.go); one worker, or more cores than CPUs, keep the
// runtime's GOMAXPROCS, and the GOMAXPROCS variable wins.
func TestWorkerGOMAXPROCS(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set in the test's environment")
	}
	def := runtime.GOMAXPROCS(0) // what the runtime gives a process here
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want int
	}{
		{"two one-core workers", nil, []string{"--processes", "2"}, 1},
		{"two workers with 100 goroutines", nil, []string{"--processes", "2", "--goroutines", "100"}, def},
		{"one worker", nil, []string{"--processes", "1"}, def},
		{"GOMAXPROCS=3 set", []string{"GOMAXPROCS=3"}, []string{"--processes", "2"}, 3},
		{"env = GOMAXPROCS=2", nil, []string{"--processes", "2", "--env", "GOMAXPROCS=2"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, base, _, _ := masterServer(t, tc.env, append(tc.args, "--disable-logging")...)
			n, _ := strconv.Atoi(tc.args[1])
			waitChildren(t, p.cmd.Process.Pid, n, 15*time.Second, nil)
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			seen := map[string]bool{}
			for i := 0; i < 200 && len(seen) < n; i++ {
				_, body := get(t, c, base+"/procs")
				f := strings.Fields(body)
				if len(f) != 2 || f[1] != strconv.Itoa(tc.want) {
					t.Fatalf("/procs = %q, want GOMAXPROCS %d", body, tc.want)
				}
				seen[f[0]] = true
			}
			if len(seen) != n {
				t.Fatalf("answered by %d workers of %d", len(seen), n)
			}
		})
	}
}
