package process

import (
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

// The reaper collects a child nobody waits for and leaves a registered
// one to its waiter, whose exit status stays intact (run it with -count=N
// to vary which of the two exits first).
func TestReaperLeavesOwnChildren(t *testing.T) {
	own := exec.Command("/bin/sh", "-c", "exit 7")
	if err := StartCmd(own); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- WaitCmd(own) }() // as every start site has its waiter
	stray, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var reaped []int
	for !slices.Contains(reaped, stray) {
		if time.Now().After(deadline) {
			t.Fatalf("the stray child %d was never reaped (got %v)", stray, reaped)
		}
		reaped = append(reaped, reapOrphans()...)
		time.Sleep(10 * time.Millisecond)
	}
	if slices.Contains(reaped, own.Process.Pid) {
		t.Fatal("the reaper took a registered child")
	}
	if err := <-waited; own.ProcessState == nil || own.ProcessState.ExitCode() != 7 {
		t.Fatalf("the registered child's status: %v %v", err, own.ProcessState)
	}
	if isOwnChild(own.Process.Pid) {
		t.Fatal("waitCmd did not forget the pid")
	}
}

// TestWaitInherited: a child nobody waits for (as one left by the image
// before a re-exec) is reaped when it exits; a tracked one is left to its
// waiter.
func TestWaitInherited(t *testing.T) {
	orphan := exec.Command("sleep", "30")
	if err := orphan.Start(); err != nil { // not tracked, not waited for
		t.Fatal(err)
	}
	pid := orphan.Process.Pid
	WaitInherited(pid)
	syscall.Kill(pid, syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil { // a zombie still answers kill 0
		if time.Now().After(deadline) {
			t.Fatalf("child %d not reaped after it was killed", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if isOwnChild(pid) {
		t.Fatalf("%d still tracked after it was reaped", pid)
	}

	own := exec.Command("sleep", "30")
	if err := StartCmd(own); err != nil {
		t.Fatal(err)
	}
	WaitInherited(own.Process.Pid) // tracked: its waiter is WaitCmd below
	own.Process.Kill()
	if err := WaitCmd(own); err == nil || own.ProcessState == nil || own.ProcessState.Pid() != own.Process.Pid {
		t.Fatalf("the tracked child's exit status was stolen: %v %v", err, own.ProcessState)
	}
}
