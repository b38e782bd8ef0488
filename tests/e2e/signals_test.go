package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// countLog counts lines containing s.
func countLog(p *proc, s string) int { return strings.Count(p.log.String(), s) }

func TestSignalTargetsTimersAndRemoteRaise(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, []string{"TESTAPP_SIGNALS=1"}, "--processes", "3")
	waitChildren(t, p.cmd.Process.Pid, 3, 15*time.Second, nil)
	p.waitLog("signum 17 registered", 10*time.Second)
	// The registrations of the three workers' main() count once each.
	if n := countLog(p, "signum 17 registered"); n != 1 {
		t.Fatalf("signal 17 registered %d times in the master, want 1", n)
	}
	get(t, http.DefaultClient, base+"/raise?n=17") // workers: all three run it
	for w := 1; w <= 3; w++ {
		p.waitLog(fmt.Sprintf("testapp: signal 17 on worker %d", w), 5*time.Second)
	}
	get(t, http.DefaultClient, base+"/raise?n=19") // worker2 only
	p.waitLog("testapp: signal 19 on worker 2", 5*time.Second)
	before := countLog(p, "testapp: signal 18 on worker")
	get(t, http.DefaultClient, base+"/raise?n=18") // one worker
	p.waitLog("testapp: signal 18 on worker", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := countLog(p, "testapp: signal 18 on worker") - before; n != 1 {
		t.Errorf("signal 18 (target worker) ran %d times, want once", n)
	}
	if n := countLog(p, "testapp: signal 19 on worker"); n != 1 {
		t.Errorf("signal 19 (target worker2) ran %d times", n)
	}
	// A panicking handler is logged and the worker lives.
	get(t, http.DefaultClient, base+"/raise?n=20")
	p.waitLog("signal 20 handler panicked", 5*time.Second)
	if code, _ := get(t, http.DefaultClient, base+"/view/"); code != 200 {
		t.Fatal("workers stopped serving after a handler panic")
	}
	// The timer registered by three workers fires once per second, not three times.
	start := countLog(p, "testapp: signal 21 on worker")
	time.Sleep(3500 * time.Millisecond)
	if n := countLog(p, "testapp: signal 21 on worker") - start; n < 2 || n > 4 {
		t.Errorf("the 1 s timer fired %d times in 3.5 s, want about 3", n)
	}
	// Real uWSGI raises a signal remotely (modifier1 110).
	uw := requirePeer(t, "uwsgi")
	before = countLog(p, "testapp: signal 18 on worker")
	if code, out := run(t, uw, nil, "--signal", uaddr+",18"); code != 0 {
		t.Fatalf("uwsgi --signal: exit %d %s", code, out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for countLog(p, "testapp: signal 18 on worker") == before {
		if time.Now().After(deadline) {
			t.Fatal("the remotely raised signal never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCronCommand(t *testing.T) {
	// Every field -1: the first master cycle runs it, then at most once a minute.
	p, _, _, _ := masterServer(t, nil, "--processes", "1", "--cron", "-1 -1 -1 -1 -1 echo uwsgo-cron-ran")
	p.waitLog(`[uwsgi-cron] running "echo uwsgo-cron-ran"`, 5*time.Second)
	p.waitLog("uwsgo-cron-ran\n", 5*time.Second)
}

func TestSignalsNeedAMaster(t *testing.T) {
	p, _ := httpServer(t, bins.testapp, []string{"TESTAPP_SIGNALS=1"})
	p.waitLog("you cannot register signals without a master", 5*time.Second)
}

func TestFileMonitorsAndFSReload(t *testing.T) {
	dir := t.TempDir()
	watched, reloadFile := dir+"/watched.txt", dir+"/reload.txt"
	os.WriteFile(watched, nil, 0o644)
	os.WriteFile(reloadFile, nil, 0o644)
	p, _, _, _ := masterServer(t, []string{"TESTAPP_FILEMON=" + watched}, "--processes", "2", "--fs-reload", reloadFile)
	kids := waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	p.waitLog("[uwsgi-fsmon] watching "+watched, 10*time.Second)
	if n := countLog(p, "[uwsgi-fsmon] watching "+watched); n != 1 {
		t.Errorf("the monitor two workers asked for is watched %d times", n)
	}
	os.WriteFile(watched, []byte("x"), 0o644)
	p.waitLog("testapp: file signal 22", 5*time.Second)
	os.WriteFile(reloadFile, []byte("x"), 0o644)
	p.waitLog("[uwsgi-fsmon] "+reloadFile+" has been modified", 5*time.Second)
	waitChildren(t, p.cmd.Process.Pid, 2, 30*time.Second, func(k []int) bool { return disjoint(k, kids) })
}

func TestTouchSignalAndCron2(t *testing.T) {
	dir := t.TempDir()
	touch := dir + "/poke"
	p, _, _, _ := masterServer(t, []string{"TESTAPP_SIGNALS=1"}, "--processes", "1", "--touch-signal", touch+" 18",
		"--cron2", "minute=-1,unique=1 echo uwsgo-cron2-ran", "--unique-cron", "-1 -1 -1 -1 -1 sleep 120")
	waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil)
	p.waitLog("uwsgo-cron2-ran", 5*time.Second)
	p.waitLog(`[uwsgi-cron] running "sleep 120"`, 5*time.Second)
	before := countLog(p, "testapp: signal 18 on worker")
	os.WriteFile(touch, nil, 0o644) // created: counts as touched
	p.waitLog("has been touched... raising signal 18", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for countLog(p, "testapp: signal 18 on worker") == before {
		if time.Now().After(deadline) {
			t.Fatal("--touch-signal raised nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
