package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lines reads a file's lines (none if it does not exist).
func lines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(strings.ReplaceAll(string(b), "\n", " "))
}

func waitLines(t *testing.T, path string, n int, d time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if l := lines(path); len(l) >= n {
			return l
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %v after %v, want %d lines", path, lines(path), d, n)
	return nil
}

// TestHooksRunInOrder checks each hook and exec phase runs where and when
// uWSGI runs it, in order, and that a failing one stops the start.
func TestHooksRunInOrder(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "order")
	ap := func(s string) string { return "appendn:" + f + " " + s }
	args := []string{"--processes", "2", "--umask", "027",
		"--hook-asap", "writen:" + f + " asap", "--exec-asap", "echo exec-asap >> " + f,
		"--hook-as-user", ap("as-user"), "--hook-pre-app", ap("pre-app"), "--exec-pre-app", "echo exec-pre-app >> " + f,
		"--hook-post-app", ap("post-app"), "--hook-master-start", ap("master-start"),
		"--hook-post-fork", ap("post-fork"), "--hook-accepting1-once", ap("accepting1-once"),
		"--hook-as-user-atexit", ap("atexit"), "--hook-asap", "print:hello from a hook"}
	p, _, _, _ := masterServer(t, nil, args...)
	got := waitLines(t, f, 10, 15*time.Second)
	want := []string{"asap", "exec-asap", "as-user", "pre-app", "exec-pre-app", "post-app"}
	if strings.Join(got[:6], " ") != strings.Join(want, " ") {
		t.Fatalf("hook order %v, want it to start with %v", got, want)
	}
	count := map[string]int{}
	for _, l := range got {
		count[l]++
	}
	if count["post-fork"] != 2 || count["accepting1-once"] != 1 || count["master-start"] != 1 {
		t.Fatalf("per-worker hooks: %v", got)
	}
	p.waitLog("hello from a hook", 5*time.Second)
	if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("a file created under --umask 027: %v %v", st.Mode(), err)
	}
	// Worker 1 dies: its replacement runs post-fork again, not accepting1-once.
	kids := waitChildren(t, p.cmd.Process.Pid, 2, 10*time.Second, nil)
	for _, k := range kids {
		syscall.Kill(k, syscall.SIGKILL)
	}
	got = waitLines(t, f, 12, 15*time.Second)
	waitChildren(t, p.cmd.Process.Pid, 2, 10*time.Second, func(k []int) bool { return !contains(k, kids[0]) && !contains(k, kids[1]) })
	time.Sleep(300 * time.Millisecond)
	count = map[string]int{}
	for _, l := range lines(f) {
		count[l]++
	}
	if count["post-fork"] != 4 || count["accepting1-once"] != 1 {
		t.Fatalf("after respawns: %v", lines(f))
	}
	p.signal(syscall.SIGINT)
	p.wait(15 * time.Second)
	if l := lines(f); l[len(l)-1] != "atexit" {
		t.Fatalf("atexit did not run last: %v", l)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--exec-asap", "exit 3"}, `exited with non-zero code: 3`},
		{[]string{"--hook-pre-app", "exec:false"}, "FATAL hook failed, destroying instance"},
		{[]string{"--hook-asap", "nope:x"}, "hook action not found: nope"},
		{[]string{"--hook-asap", "mkdir"}, "must be action:args"},
	} {
		args := append([]string{"--master", "--http-socket", fmt.Sprintf("127.0.0.1:%d", freePort(t))}, tc.args...)
		code, out := run(t, bins.testapp, nil, args...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want 1 and %q:\n%s", tc.args, code, tc.want, out)
		}
	}
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
}

func TestProcessKnobs(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--auto-procname", "--procname-prefix-spaced", "myapp",
		"--max-fd", "2000", "--env", "GREETING=hello from env", "--add-header", "X-Frame-Options: DENY", "--add-header", "X-Served-By: uwsgo")
	master := p.cmd.Process.Pid
	kids := waitChildren(t, master, 2, 15*time.Second, nil)
	if got := cmdline(master); got != "myapp uWSGI master" {
		t.Errorf("master's cmdline %q", got)
	}
	names := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second) // a worker renames itself as it starts
	for !(names["myapp uWSGI worker 1"] && names["myapp uWSGI worker 2"]) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		names = map[string]bool{}
		for _, k := range kids {
			names[cmdline(k)] = true
		}
	}
	for _, k := range kids {
		limits, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", k))
		if !strings.Contains(string(limits), "Max open files            2000") {
			t.Errorf("worker %d limits:\n%s", k, limits)
		}
	}
	if !names["myapp uWSGI worker 1"] || !names["myapp uWSGI worker 2"] {
		t.Errorf("worker cmdlines %v", names)
	}
	resp, err := http.Get(base + "/env?name=GREETING")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body [64]byte
	n, _ := resp.Body.Read(body[:])
	if !strings.HasSuffix(string(body[:n]), " hello from env") {
		t.Errorf("env seen by the handler: %q", body[:n])
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Served-By") != "uwsgo" {
		t.Errorf("add-header: %v", resp.Header)
	}
	// The app's own flags still reach it unchanged after the title rewrite.
	if code, body := get(t, nil2(), base+"/vars"); code != 200 || !strings.Contains(body, `"args":[]`) && !strings.Contains(body, `"args":null`) {
		t.Errorf("/vars after procname: %d %s", code, body)
	}
}

// TestAttachedDaemons: a dumb daemon is restarted after kill -9, kept over a
// reload and stopped at shutdown; a smart one is respawned from its pidfile.
func TestAttachedDaemons(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	smartPid := filepath.Join(dir, "smart.pid")
	p, _, _, _ := masterServer(t, nil, "--processes", "1",
		"--attach-daemon", "echo $$ >> "+pids+"; exec sleep 300",
		"--smart-attach-daemon", smartPid+" sleep 300 & echo $! > "+smartPid)
	t.Cleanup(func() {
		if pid := readInt(smartPid); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, s := range lines(pids) {
			if n, _ := strconv.Atoi(s); n > 0 {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
	})
	first := waitLines(t, pids, 1, 10*time.Second)[0]
	d1, _ := strconv.Atoi(first)
	syscall.Kill(d1, syscall.SIGKILL)
	second := waitLines(t, pids, 2, 10*time.Second)[1]
	d2, _ := strconv.Atoi(second)
	p.waitLog("[uwsgi-daemons] throttling", 5*time.Second)

	s1 := waitPidfile(t, smartPid, 0)
	syscall.Kill(s1, syscall.SIGKILL)
	s2 := waitPidfile(t, smartPid, s1)
	if !alive(s2) {
		t.Fatalf("smart daemon not respawned (%d -> %d)", s1, s2)
	}

	p.signal(syscall.SIGHUP)
	p.waitLog("generation 2 is accepting", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if !alive(d2) || len(lines(pids)) != 2 {
		t.Fatalf("the daemon did not survive a reload: alive %v, pids %v", alive(d2), lines(pids))
	}
	p.signal(syscall.SIGINT)
	p.waitLog("[uwsgi-daemons] stopping daemon (pid: "+second+")", 15*time.Second)
	waitGone(t, 10*time.Second, "the daemon survived the shutdown", d2)
	if !alive(s2) {
		t.Fatal("the smart daemon was stopped; uWSGI leaves it running")
	}
	syscall.Kill(s2, syscall.SIGKILL) // it holds our log pipe open
	p.wait(15 * time.Second)
}

func readInt(path string) int {
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func waitPidfile(t *testing.T, path string, not int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if n := readInt(path); n > 0 && n != not && alive(n) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("pidfile %s never named a new live process (old %d)", path, not)
	return 0
}

// TestPostBuffering: bodies are read whole before the handler, in memory
// or through a temporary file, on both socket kinds, and arrive intact.
func TestPostBuffering(t *testing.T) {
	_, base, uaddr, _ := masterServer(t, nil, "--processes", "1", "--post-buffering", "65536")
	for _, size := range []int{1000, 65536, 3 << 20} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i * 7)
		}
		sum := sha256.Sum256(body)
		want := fmt.Sprintf("%d %s", size, hex.EncodeToString(sum[:]))
		resp, err := http.Post(base+"/sum", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != want {
			t.Errorf("HTTP, %d bytes: %q, want %q", size, got, want)
		}
		_, ub, err := uwsgiRequest("tcp", uaddr, map[string]string{"REQUEST_METHOD": "POST", "PATH_INFO": "/sum",
			"CONTENT_LENGTH": strconv.Itoa(size)}, body)
		if err != nil || !bytes.HasSuffix(ub, []byte(want)) {
			t.Errorf("uwsgi, %d bytes: %v %q", size, err, ub)
		}
	}
}

// TestUnixSignalHook: the Docker images' "hook-master-start = unix_signal:15
// gracefully_kill_them_all", here on SIGUSR1 to see the remap act.
func TestUnixSignalHook(t *testing.T) {
	stats := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p, _, _, _ := masterServer(t, nil, "--processes", "2", "--hook-master-start", "unix_signal:10 gracefully_kill_them_all", "--stats", stats)
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	// The master starts its stats server after the master-start hooks: once
	// it accepts, the remap is in place (signalling earlier raced it).
	waitDial(t, "tcp", stats, p)
	p.signal(syscall.SIGUSR1)
	if code := p.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(p.log.String(), "graceful shutdown triggered") {
		t.Fatalf("SIGUSR1 did not stop gracefully:\n%s", p.log.String())
	}
}
