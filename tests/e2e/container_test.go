package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// zombies lists the zombie children of pid.
func zombies(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
			if s := string(st); err == nil && strings.Contains(s, ") Z ") {
				out = append(out, n)
			}
		}
	}
	return out
}

// TestPID1InAContainer runs the master as PID 1 of a new PID namespace
// (what a container's entry point is): a hook and an attached daemon leave
// orphans that die, the master reaps them, and SIGTERM (docker stop) stops
// it gracefully, finishing a request in flight (docs/deploy.md: Dockerfile).
func TestPID1InAContainer(t *testing.T) {
	unshare := requirePeer(t, "unshare")
	if os.Getuid() != 0 {
		t.Skip("unshare --pid needs root")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, unshare, nil, "--pid", "--fork", "--kill-child", bins.testapp,
		"--master", "--processes", "2", "--http-socket", addr, "--disable-logging",
		"--hook-master-start", "exec:/bin/sh -c '(sleep 1; echo hook orphan done) &'",
		"--attach-daemon", `/bin/sh -c 'sh -c "(sleep 1; echo daemon orphan done) &"; exec sleep 600'`)
	waitDial(t, "tcp", addr, p)
	p.waitLog("spawned uWSGI master process (pid: 1)", 15*time.Second)
	master := children(p.cmd.Process.Pid)
	if len(master) != 1 {
		t.Fatalf("unshare's children: %v", master)
	}
	mpid := master[0]
	p.waitLog("hook orphan done", 30*time.Second)
	p.waitLog("daemon orphan done", 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(p.log.String(), "reaped orphaned process") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the orphans were not reaped:\n%s", p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if z := zombies(mpid); len(z) != 0 {
		t.Fatalf("zombies under the PID 1 master: %v", z)
	}
	if len(children(mpid)) != 3 { // two workers and the daemon
		t.Fatalf("children of the master: %v", children(mpid))
	}

	// docker stop: SIGTERM to PID 1 while a request runs.
	type result struct {
		code int
		body string
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/sleep?ms=1500")
		if err != nil {
			res <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b := make([]byte, 64)
		n, _ := resp.Body.Read(b)
		res <- result{resp.StatusCode, string(b[:n])}
	}()
	p.waitLog("testapp: sleep start", 15*time.Second)
	if err := syscall.Kill(mpid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.code != 200 || r.body != "slept 1500" {
		t.Fatalf("the request in flight at SIGTERM: %d %q", r.code, r.body)
	}
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	if !strings.Contains(p.log.String(), "graceful shutdown triggered") || !strings.Contains(p.log.String(), "goodbye to uWSGI.") {
		t.Fatalf("not a graceful stop:\n%s", p.log.String())
	}
}
