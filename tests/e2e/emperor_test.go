package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// touchFile moves path's modification time forward (an Emperor notices a
// change of mtime, which a same-second touch would not make).
func touchFile(t *testing.T, path string, ahead time.Duration) {
	t.Helper()
	ts := time.Now().Add(ahead)
	if err := os.Chtimes(path, ts, ts); err != nil {
		t.Fatal(err)
	}
}

// waitClosed waits until nothing accepts on addr.
func waitClosed(t *testing.T, addr string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s still accepts:\n%s", addr, p.log.String())
}

// waitCount waits until the log holds s at least n times.
func (p *proc) waitCount(s string, n int, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for strings.Count(p.log.String(), s) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("log shows %q %d times, want %d:\n%s", s, strings.Count(p.log.String(), s), n, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUWSGIEmperorGovernsUwsgo puts a uwsgo app under the real uWSGI
// Emperor: the vassal file names it with privileged-binary-patch, so the
// Emperor starts /usr/bin/uwsgi --ini FILE, which execs APP --ini FILE.
// Loyalty, heartbeats, touch (graceful reload under load, 0 failed), kill -9
// of the vassal's master (the Emperor starts a new one) and removal (stop).
func TestUWSGIEmperorGovernsUwsgo(t *testing.T) {
	uwsgiBin := requirePeer(t, "uwsgi")
	dir := t.TempDir()
	vassals := filepath.Join(dir, "vassals")
	if err := os.Mkdir(vassals, 0o755); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app")
	copyFile(t, bins.testapp, app)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ini := filepath.Join(vassals, "app.ini")
	conf := fmt.Sprintf("[uwsgi]\nprivileged-binary-patch = %s\nmaster = true\nprocesses = 2\ngoroutines = 4\nhttp-socket = %s\ndisable-logging = true\nheartbeat = 1\n", app, addr)
	if err := os.WriteFile(ini, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, uwsgiBin, nil, "--emperor", vassals, "--emperor-required-heartbeat", "3")
	p.waitLog("[emperor] vassal app.ini is now loyal", 30*time.Second)
	waitDial(t, "tcp", addr, p)
	kids := children(p.cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("the Emperor's children: %v", kids)
	}
	master := kids[0]
	workers := waitChildren(t, master, 2, 15*time.Second, nil)

	l := startLoad("http://"+addr, "", "/version", 2, 2*time.Minute)
	time.Sleep(300 * time.Millisecond)
	touchFile(t, ini, 2*time.Second)
	p.waitLog("received message 1 from emperor", 30*time.Second)
	waitChildren(t, master, 2, 60*time.Second, func(k []int) bool { return disjoint(k, workers) })
	time.Sleep(300 * time.Millisecond)
	summary := l.finish()
	t.Logf("load across the Emperor's reload: %s", summary)
	if l.failed.Load() != 0 || l.ok.Load() == 0 {
		t.Fatalf("requests failed across the reload: %s", summary)
	}
	if !alive(master) {
		t.Fatal("the reload replaced the vassal's master")
	}
	time.Sleep(4 * time.Second) // longer than --emperor-required-heartbeat
	if strings.Contains(p.log.String(), "sent no heartbeat") {
		t.Fatalf("the Emperor missed heartbeats:\n%s", p.log.String())
	}
	// A hung master sends no heartbeat: the Emperor replaces it (which it
	// only does for a vassal whose heartbeats it has been receiving).
	if err := syscall.Kill(master, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	p.waitLog("vassal app.ini sent no heartbeat in last 3 seconds, brutally respawning it", 30*time.Second)
	p.waitCount("[emperor] vassal app.ini is now loyal", 2, 60*time.Second)
	waitDial(t, "tcp", addr, p)
	if kids := children(p.cmd.Process.Pid); len(kids) != 1 || kids[0] == master {
		t.Fatalf("after the hung master %d the Emperor's children are %v", master, kids)
	}
	master = children(p.cmd.Process.Pid)[0]

	if err := syscall.Kill(master, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitCount("[emperor] vassal app.ini is now loyal", 3, 60*time.Second)
	waitDial(t, "tcp", addr, p)
	if kids := children(p.cmd.Process.Pid); len(kids) != 1 || kids[0] == master {
		t.Fatalf("after kill -9 of %d the Emperor's children are %v", master, kids)
	}
	master = children(p.cmd.Process.Pid)[0]
	if _, body := get(t, &http.Client{}, "http://"+addr+"/version"); !strings.HasPrefix(body, "v1 ") {
		t.Fatalf("the new vassal answers %q", body)
	}

	if err := os.Remove(ini); err != nil {
		t.Fatal(err)
	}
	p.waitLog("[emperor] removed uwsgi instance app.ini", 30*time.Second)
	waitClosed(t, addr, p)
	waitGone(t, 15*time.Second, "the vassal master still runs after the file was removed", master)
}

// TestBinaryPatch: --privileged-binary-patch naming another binary execs it
// with the same arguments (as uWSGI does); naming the running binary is
// done, not a loop.
func TestBinaryPatch(t *testing.T) {
	ini := filepath.Join(t.TempDir(), "app.ini")
	if err := os.WriteFile(ini, []byte("[uwsgi]\nprivileged-binary-patch = "+bins.hello+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, base := httpServer(t, bins.testapp, nil, "--ini", ini)
	if _, body := get(t, &http.Client{}, base+"/view/"); body != "<h1>Hello World</h1>" {
		t.Fatalf("/view/ = %q", body)
	}
	if code, _ := get(t, &http.Client{}, base+"/version"); code != 404 {
		t.Fatalf("/version answered %d: testapp still serves, the patch was not exec'd", code)
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.cmd.Process.Pid)); err != nil || exe != bins.hello {
		t.Fatalf("the process runs %q (%v), want %s", exe, err, bins.hello)
	}

	self := filepath.Join(t.TempDir(), "self.ini")
	if err := os.WriteFile(self, []byte("[uwsgi]\nprivileged-binary-patch = "+bins.testapp+"\nunprivileged-binary-patch = "+bins.testapp+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, base2 := httpServer(t, bins.testapp, nil, "--ini", self)
	if _, body := get(t, &http.Client{}, base2+"/version"); !strings.HasPrefix(body, "v1 ") {
		t.Fatalf("a patch naming itself: /version = %q", body)
	}
}

// TestUWSGIEmperorSingleProcessVassal: a vassal without --master also
// sends heartbeats (a frozen one is replaced) and stops when its file goes.
func TestUWSGIEmperorSingleProcessVassal(t *testing.T) {
	uwsgiBin := requirePeer(t, "uwsgi")
	vassals := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ini := filepath.Join(vassals, "one.ini")
	conf := fmt.Sprintf("[uwsgi]\nprivileged-binary-patch = %s\nhttp-socket = %s\nheartbeat = 1\n", bins.testapp, addr)
	if err := os.WriteFile(ini, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, uwsgiBin, nil, "--emperor", vassals, "--emperor-required-heartbeat", "3")
	p.waitLog("[emperor] vassal one.ini is now loyal", 30*time.Second)
	waitDial(t, "tcp", addr, p)
	kids := children(p.cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("the Emperor's children: %v", kids)
	}
	if err := syscall.Kill(kids[0], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	p.waitLog("vassal one.ini sent no heartbeat in last 3 seconds, brutally respawning it", 30*time.Second)
	p.waitCount("[emperor] vassal one.ini is now loyal", 2, 30*time.Second)
	waitDial(t, "tcp", addr, p)
	if err := os.Remove(ini); err != nil {
		t.Fatal(err)
	}
	p.waitLog("[emperor] removed uwsgi instance one.ini", 30*time.Second)
	waitClosed(t, addr, p)
}
