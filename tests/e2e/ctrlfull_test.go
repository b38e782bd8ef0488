package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A worker stopped with SIGSTOP never reads its control channel: the
// signals raised for it fill the socket, the master drops the rest with
// uWSGI's "SIGNAL QUEUE IS FULL" line and keeps routing signals to the
// other worker; once continued, the stopped worker runs what was queued.
func TestSignalsToAStoppedWorker(t *testing.T) {
	p, base, _, _ := masterServer(t, []string{"TESTAPP_SIGNALS=1"}, "--processes", "2")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	p.waitLog("signum 19 registered", 10*time.Second) // target worker2
	m := regexp.MustCompile(`spawned uWSGI worker 2 \(pid: (\d+)`).FindStringSubmatch(p.log.String())
	if m == nil {
		t.Fatalf("no worker 2 in the log:\n%s", p.log.String())
	}
	pid, _ := strconv.Atoi(m[1])
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	const full = "*** SIGNAL QUEUE IS FULL: buffer size "
	c := &http.Client{} // one kept-alive connection, accepted by worker 1 (worker 2 is stopped)
	raised := 0
	for ; raised < 5000 && countLog(p, full) == 0; raised++ {
		get(t, c, base+"/raise?n=19")
	}
	p.waitLog(full, 10*time.Second)
	if n := countLog(p, "could not deliver signal 19 to worker 2"); n == 0 || raised < 10 {
		t.Fatalf("%d signals raised, %d drops logged", raised, n)
	}
	get(t, c, base+"/raise?n=17") // target workers: worker 1 still gets it
	p.waitLog("testapp: signal 17 on worker 1", 10*time.Second)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	p.waitLog("testapp: signal 19 on worker 2", 10*time.Second)
	t.Logf("full after %d raises", raised)
}

// A master stopped with SIGSTOP never reads the workers' control channels:
// requests that raise signals (uwsgi.Signal) are still answered at once,
// the worker's channel fills, and the raises after that fail with
// ErrSignalQueueFull and uWSGI's line, where they blocked the request
// until the master read. Once continued, the master reads and raises go
// through again. --master --processes 2, one core each.
func TestRaiseWithAStoppedMaster(t *testing.T) {
	p, base, _, _ := masterServer(t, []string{"TESTAPP_SIGNALS=1"}, "--processes", "2")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	p.waitLog("signum 18 registered", 10*time.Second)
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGCONT) })
	c := &http.Client{} // one kept-alive connection: one worker's channel
	raised, body := 0, ""
	for ; raised < 20000 && body != "uwsgi: signal queue is full"; raised++ {
		_, body = get(t, c, base+"/raise?n=18") // fails the test if a raise blocks (30 s)
	}
	if body != "uwsgi: signal queue is full" || raised < 10 {
		t.Fatalf("after %d raises to a stopped master the last answer was %q, want the queue full", raised, body)
	}
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	p.waitLog("could not raise signal 18 from worker", 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for body != "<nil>" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		_, body = get(t, c, base+"/raise?n=18")
	}
	if body != "<nil>" {
		t.Fatalf("raise after the master continued: %q", body)
	}
	t.Logf("full after %d raises", raised)
}
