package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// masterServer starts a copy of testapp (so tests may replace the binary)
// as a master with an HTTP and a uwsgi socket.
func masterServer(t *testing.T, env []string, args ...string) (p *proc, base, uwsgiAddr, bin string) {
	t.Helper()
	bin = filepath.Join(t.TempDir(), "app")
	copyFile(t, bins.testapp, bin)
	haddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	uwsgiAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	all := append([]string{"--master", "--http-socket", haddr, "--socket", uwsgiAddr}, args...)
	p = start(t, bin, env, all...)
	waitDial(t, "tcp", haddr, p)
	return p, "http://" + haddr, uwsgiAddr, bin
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}

func TestMasterSpawnsWorkers(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "3", "--disable-logging")
	kids := waitChildren(t, p.cmd.Process.Pid, 3, 15*time.Second, nil)
	seen := map[string]bool{}
	for range 60 {
		_, body := get(t, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, base+"/version")
		f := strings.Fields(body)
		if len(f) != 3 || f[0] != "v1" {
			t.Fatalf("/version = %q", body)
		}
		seen[f[2]] = true
	}
	for id := range seen {
		if id != "1" && id != "2" && id != "3" {
			t.Fatalf("WorkerID %s outside 1..3", id)
		}
	}
	if _, body, err := uwsgiGet("tcp", uaddr, "/view/"); err != nil || body != "<h1>Hello World</h1>" {
		t.Fatalf("uwsgi socket through a worker: %q %v", body, err)
	}
	if len(kids) != 3 {
		t.Fatalf("children %v", kids)
	}
}

func TestZeroDropAcrossReloadsAndUpgrade(t *testing.T) {
	p, base, uaddr, bin := masterServer(t, nil, "--processes", "2", "--goroutines", "8", "--disable-logging")
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	l := startLoad(base, uaddr, "/version", 3, 3*time.Minute)
	for i := 1; i <= 5; i++ {
		time.Sleep(300 * time.Millisecond)
		p.signal(syscall.SIGHUP)
		prev := kids
		kids = waitChildren(t, mpid, 2, 60*time.Second, func(k []int) bool { return disjoint(k, prev) })
	}
	// Binary upgrade: a rebuilt binary that answers v2 replaces the file.
	v2 := filepath.Join(t.TempDir(), "app-v2")
	if err := goBuild(v2, "../../internal/testapp", "-ldflags", "-X main.version=v2"); err != nil {
		t.Fatal(err)
	}
	copyFile(t, v2, bin)
	prev := kids
	p.signal(syscall.SIGHUP)
	kids = waitChildren(t, mpid, 2, 60*time.Second, func(k []int) bool { return disjoint(k, prev) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get(t, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, base+"/version")
		if strings.HasPrefix(body, "v2 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q after the binary upgrade", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	summary := l.finish()
	t.Logf("load across 5 reloads and 1 upgrade: %s", summary)
	if l.failed.Load() != 0 || l.ok.Load() == 0 {
		t.Fatalf("requests failed across reloads: %s", summary)
	}
	if !alive(mpid) || p.cmd.Process.Pid != mpid {
		t.Fatalf("master pid %d gone", mpid)
	}
	if !strings.Contains(p.log.String(), "gracefully (RE)spawned uWSGI master process (pid: "+fmt.Sprint(mpid)) {
		t.Fatalf("the master was not re-executed in place:\n%s", p.log.String())
	}
}

func TestKilledWorkerIsReplaced(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "2", "--goroutines", "4", "--disable-logging")
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	const clients = 3 // of each kind: at most 9 requests in flight at any time
	l := startLoad(base, uaddr, "/view/", clients, time.Minute)
	time.Sleep(500 * time.Millisecond)
	victim := kids[0]
	killed := time.Now()
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitChildren(t, mpid, 2, 5*time.Second, func(k []int) bool { return disjoint(k, []int{victim}) })
	replacedIn := time.Since(killed)
	time.Sleep(500 * time.Millisecond)
	summary := l.finish()
	t.Logf("worker replaced in %v; load: %s", replacedIn.Round(time.Millisecond), summary)
	if replacedIn > time.Second {
		t.Errorf("the killed worker was replaced after %v, want within a second", replacedIn)
	}
	if f := l.failed.Load(); f > 3*clients {
		t.Errorf("%d requests failed; only the killed worker's in-flight ones (at most %d) may: %s", f, 3*clients, summary)
	}
	p.waitLog("DAMN ! worker", 5*time.Second)
	p.waitLog("Respawned uWSGI worker", 5*time.Second)
	if code, _ := get(t, &http.Client{}, base+"/view/"); code != 200 {
		t.Fatalf("after respawn: status %d", code)
	}
}

func TestKilledMasterLeavesNoWorkers(t *testing.T) {
	p, _, _, _ := masterServer(t, nil, "--processes", "3", "--disable-logging")
	kids := waitChildren(t, p.cmd.Process.Pid, 3, 15*time.Second, nil)
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		left := 0
		for _, k := range kids {
			if alive(k) {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("workers %v still alive 5 s after the master was killed", kids)
}

func TestFailedGenerationKeepsOldWorkers(t *testing.T) {
	fail := filepath.Join(t.TempDir(), "fail")
	notifyAddr := fmt.Sprintf("@uwsgo-e2e-failgen-%d", os.Getpid())
	ns := listenNotify(t, notifyAddr)
	p, base, _, _ := masterServer(t, []string{"TESTAPP_FAIL_FILE=" + fail, "NOTIFY_SOCKET=" + notifyAddr}, "--processes", "2")
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	waitWorkersAnswer(t, base, 2) // both are past the fail file's check
	if err := os.WriteFile(fail, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ns.expect(t, p, "STATUS=initializing uWSGI")
	ns.expect(t, p, "READY=1", "STATUS=uWSGI is ready")
	p.signal(syscall.SIGHUP)
	p.waitLog("failed to start", 30*time.Second)
	ns.expect(t, p, "RELOADING=1")
	ns.expect(t, p, "READY=1", "STATUS=uWSGI is ready (the new generation failed to start; the previous one serves)")
	if code, _ := get(t, &http.Client{}, base+"/view/"); code != 200 {
		t.Fatalf("old generation stopped serving: %d", code)
	}
	waitChildren(t, mpid, 2, 10*time.Second, func(k []int) bool { return fmt.Sprint(k) == fmt.Sprint(kids) })
	os.Remove(fail)
	p.signal(syscall.SIGHUP)
	waitChildren(t, mpid, 2, 60*time.Second, func(k []int) bool { return disjoint(k, kids) })
	if code, _ := get(t, &http.Client{}, base+"/view/"); code != 200 {
		t.Fatalf("after a good reload: %d", code)
	}
}

func TestMasterSIGTERMFinishesInFlight(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--goroutines", "4")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	result := make(chan string, 1)
	go func() {
		code, body := 0, ""
		resp, err := http.Get(base + "/sleep?ms=1500")
		if err == nil {
			b := make([]byte, 64)
			n, _ := resp.Body.Read(b)
			code, body = resp.StatusCode, string(b[:n])
			resp.Body.Close()
		}
		result <- fmt.Sprint(code, " ", body, " ", err)
	}()
	p.waitLog("testapp: sleep start", 10*time.Second)
	p.signal(syscall.SIGTERM)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("master exit status %d after SIGTERM, want 0", code)
	}
	if got := <-result; got != "200 slept 1500 <nil>" {
		t.Fatalf("in-flight request: %s", got)
	}
	if !strings.Contains(p.log.String(), "goodbye to uWSGI.") {
		t.Fatal("no goodbye line")
	}
}

func TestMasterSIGINTStopsEverything(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--goroutines", "4")
	kids := waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	go http.Get(base + "/sleep?ms=30000")
	p.waitLog("testapp: sleep start", 10*time.Second)
	p.signal(syscall.SIGINT)
	p.wait(8 * time.Second)
	for _, k := range kids {
		if alive(k) {
			t.Fatalf("worker %d alive after SIGINT", k)
		}
	}
}

func TestTouchReloadAndFIFO(t *testing.T) {
	dir := t.TempDir()
	touch, fifo := filepath.Join(dir, "reload.txt"), filepath.Join(dir, "master.fifo")
	os.WriteFile(touch, nil, 0o644)
	p, _, _, _ := masterServer(t, nil, "--processes", "1", "--touch-reload", touch, "--master-fifo", fifo)
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 1, 15*time.Second, nil)
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(touch, later, later)
	p.waitLog("has been touched", 10*time.Second)
	kids2 := waitChildren(t, mpid, 1, 30*time.Second, func(k []int) bool { return disjoint(k, kids) })
	p.waitLog("active master fifo", 5*time.Second)
	if err := os.WriteFile(fifo, []byte("r"), 0); err != nil {
		t.Fatal(err)
	}
	waitChildren(t, mpid, 1, 30*time.Second, func(k []int) bool { return disjoint(k, kids2) })
	if err := os.WriteFile(fifo, []byte("q"), 0); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d after fifo q", code)
	}
}

func TestPidfileVacuumEnvChdirAndChainReload(t *testing.T) {
	dir := t.TempDir()
	pidfile, sock, fifo := filepath.Join(dir, "app.pid"), filepath.Join(dir, "app.sock"), filepath.Join(dir, "fifo")
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--pidfile", pidfile, "--vacuum", "--socket", sock,
		"--master-fifo", fifo, "--env", "GREETING=hi", "--chdir", dir)
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	if b, _ := os.ReadFile(pidfile); strings.TrimSpace(string(b)) != fmt.Sprint(mpid) {
		t.Fatalf("pidfile holds %q, want %d", b, mpid)
	}
	s := doJSON(t, &http.Client{}, "GET", base+"/vars", "", nil)
	if s.Method != "GET" {
		t.Fatalf("vars %+v", s)
	}
	if wd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", kids[0])); wd != dir {
		t.Errorf("worker cwd %q, want %q (--chdir)", wd, dir)
	}
	if env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", kids[0])); !strings.Contains(string(env), "GREETING=hi\x00") {
		t.Errorf("--env GREETING=hi not in the worker's environment")
	}
	p.waitLog("active master fifo", 5*time.Second)
	os.WriteFile(fifo, []byte("c"), 0)
	waitChildren(t, mpid, 2, 30*time.Second, func(k []int) bool { return disjoint(k, kids) })
	p.waitLog("chain reloading complete", 10*time.Second)
	if strings.Count(p.log.String(), "chain next victim is worker 2") != 1 {
		t.Errorf("chain reload did not go worker by worker:\n%s", p.log.String())
	}
	p.signal(syscall.SIGINT)
	p.wait(10 * time.Second)
	for _, f := range []string{pidfile, sock} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("--vacuum left %s", f)
		}
	}
}

func TestDaemonizeAndUid(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to drop privileges")
	}
	// Every directory on the way must let "nobody" in: the workers are
	// started from the binary after the master dropped its privileges.
	dir, err := os.MkdirTemp("", "uwsgo-daemon-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "app")
	copyFile(t, bins.testapp, bin)
	logfile, pidfile := filepath.Join(dir, "d.log"), filepath.Join(dir, "d.pid")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	code, out := run(t, bin, nil, "--master", "--http-socket", addr, "--daemonize", logfile, "--pidfile", pidfile, "--uid", "nobody", "--gid", "nogroup")
	if code != 0 {
		t.Fatalf("--daemonize: exit %d %s", code, out)
	}
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidfile)
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 {
		b, _ := os.ReadFile(logfile)
		t.Fatalf("no pidfile; log:\n%s", b)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	c, err := http.Get("http://" + addr + "/view/")
	for i := 0; err != nil && i < 100; i++ {
		time.Sleep(50 * time.Millisecond)
		c, err = http.Get("http://" + addr + "/view/")
	}
	if err != nil {
		t.Fatal(err)
	}
	c.Body.Close()
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if !strings.Contains(string(status), "Uid:\t65534") {
		t.Errorf("master still runs as %q", strings.SplitN(string(status), "Uid:", 2)[1][:20])
	}
	syscall.Kill(pid, syscall.SIGINT)
	for i := 0; alive(pid) && i < 200; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logfile)
	if !strings.Contains(string(b), "setuid() to 65534") || !strings.Contains(string(b), "goodbye to uWSGI.") {
		t.Fatalf("daemon log:\n%s", b)
	}
}

// waitWorkersAnswer waits until n different workers have answered /version:
// each has started serving (workers take turns to accept, so a few one-shot
// requests reach them all).
func waitWorkersAnswer(t *testing.T, base string, n int) {
	t.Helper()
	seen := map[string]bool{}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	for i := 0; i < 500 && len(seen) < n; i++ {
		if code, body, err := fetch(c, base+"/version"); err == nil && code == 200 {
			seen[strings.Fields(body)[1]] = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(seen) < n {
		t.Fatalf("only %d of %d workers answered", len(seen), n)
	}
}
