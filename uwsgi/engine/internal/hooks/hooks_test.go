package hooks

import (
	"strings"
	"syscall"
	"testing"
)

func TestUnixSignalHook(t *testing.T) {
	if err := remapUnixSignal("15 gracefully_kill_them_all"); err != nil {
		t.Fatal(err)
	}
	SignalRemaps.Delete(syscall.Signal(15))
	for _, bad := range []string{"15", "x gracefully_kill_them_all", "15 system"} {
		if err := remapUnixSignal(bad); err == nil || !strings.Contains(err.Error(), "unix_signal") && !strings.Contains(err.Error(), "unable to find") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
