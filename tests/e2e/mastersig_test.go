package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMasterSignalBeforeItsLoop: a SIGTERM that reaches the master once
// its workers run but before its loop starts (here: during a slow
// master-start hook) is handled when the loop starts — a graceful
// shutdown, exit 0 — instead of killing the master by default action and
// orphaning the workers. Tests that signal the master as soon as its
// workers exist raced with this window on a loaded machine.
func TestMasterSignalBeforeItsLoop(t *testing.T) {
	p, _, _, _ := masterServer(t, nil, "--processes", "1", "--hook-master-start", "exec:sleep 2")
	p.waitLog(`running "exec:sleep 2" (master-start)`, 15*time.Second) // the worker runs, the loop has not started
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("master exit status %d after an early SIGTERM, want 0", code)
	}
	if !strings.Contains(p.log.String(), "goodbye to uWSGI.") {
		t.Fatalf("no graceful shutdown:\n%s", p.log.String())
	}
}
