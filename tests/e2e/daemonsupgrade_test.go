package e2e

import (
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestAttachedDaemonsAcrossBinaryUpgrade: the re-exec of a binary upgrade
// stops the dumb daemons and the new master image starts them again; a
// smart daemon that is still alive is left running and watched again (as
// uWSGI's uwsgi_daemons_spawn_all after its re-exec: "found valid/active
// pidfile").
func TestAttachedDaemonsAcrossBinaryUpgrade(t *testing.T) {
	dir := t.TempDir()
	pids := dir + "/pids"
	smartPid := dir + "/smart.pid"
	p, _, _, bin := masterServer(t, nil, "--processes", "1",
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
	mpid := p.cmd.Process.Pid
	p.waitLog("spawned uWSGI worker 1", 15*time.Second)
	first := waitLines(t, pids, 1, 10*time.Second)[0]
	d1, _ := strconv.Atoi(first)
	s1 := waitPidfile(t, smartPid, 0)

	copyFile(t, bins.testapp, bin) // a new file: the reload is a binary upgrade
	p.signal(syscall.SIGHUP)
	p.waitLog("gracefully (RE)spawned uWSGI master process", 60*time.Second)
	p.waitLog("[uwsgi-daemons] stopping daemon (pid: "+first+")", 10*time.Second)
	waitGone(t, 10*time.Second, "the old image's daemon survived the re-exec", d1)
	second := waitLines(t, pids, 2, 15*time.Second)[1]
	d2, _ := strconv.Atoi(second)
	if d2 == d1 || !alive(d2) {
		t.Fatalf("no new daemon after the upgrade: %v (alive %v)", lines(pids), alive(d2))
	}
	if p.cmd.Process.Pid != mpid || !alive(mpid) {
		t.Fatal("the master changed")
	}

	p.waitLog("[uwsgi-daemons] found valid/active pidfile for", 10*time.Second)
	if readInt(smartPid) != s1 || !alive(s1) {
		t.Fatalf("the smart daemon %d was restarted (pidfile %d); uWSGI leaves a live one running", s1, readInt(smartPid))
	}
	syscall.Kill(s1, syscall.SIGKILL)
	s2 := waitPidfile(t, smartPid, s1) // the new image watches the pidfile
	if !alive(s2) {
		t.Fatalf("smart daemon not respawned after the upgrade (%d -> %d)", s1, s2)
	}

	p.signal(syscall.SIGINT)
	p.waitLog("[uwsgi-daemons] stopping daemon (pid: "+second+")", 15*time.Second)
	waitGone(t, 10*time.Second, "the daemon survived the shutdown", d2)
	syscall.Kill(s2, syscall.SIGKILL) // it holds our log pipe open
	p.wait(15 * time.Second)
}

// TestSmartDaemon2ReapedAfterBinaryUpgrade: a --smart-attach-daemon2
// command is a child of the master; the image that started it and waited
// for it is gone after a binary upgrade, so the new image waits for it: when
// it dies it is respawned and leaves no zombie.
func TestSmartDaemon2ReapedAfterBinaryUpgrade(t *testing.T) {
	pidfile := t.TempDir() + "/smart2.pid"
	p, _, _, bin := masterServer(t, nil, "--processes", "1", "--smart-attach-daemon2", pidfile+" exec sleep 300")
	t.Cleanup(func() {
		if pid := readInt(pidfile); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	mpid := p.cmd.Process.Pid
	p.waitLog("spawned uWSGI worker 1", 15*time.Second)
	s1 := waitPidfile(t, pidfile, 0)
	copyFile(t, bins.testapp, bin)
	p.signal(syscall.SIGHUP)
	p.waitLog("gracefully (RE)spawned uWSGI master process", 60*time.Second)
	p.waitLog("[uwsgi-daemons] found valid/active pidfile for", 10*time.Second)
	syscall.Kill(s1, syscall.SIGKILL)
	s2 := waitPidfile(t, pidfile, s1)
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(zombies(mpid), s1) {
		if time.Now().After(deadline) {
			t.Fatalf("the smart daemon %d is a zombie of the master after the upgrade (respawned as %d)", s1, s2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.signal(syscall.SIGINT)
	syscall.Kill(s2, syscall.SIGKILL) // left running at shutdown; it holds our log pipe open
	p.wait(15 * time.Second)
}
