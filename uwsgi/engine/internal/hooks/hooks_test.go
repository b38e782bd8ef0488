package hooks

import (
	"strings"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

func TestUnixSignalHook(t *testing.T) {
	if err := remapUnixSignal("15 gracefully_kill_them_all"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadWith([]string{"--hook-asap", "unix_signal:15 gracefully_kill_them_all", "--hook-master-start", "unix_signal:1 reap_them_all",
		"--hook-accepting", "unix_signal:2 end_me", "--hook-master-start", "unix_signal:15 kill_them_all"}, nil, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := SignalRemaps(cfg); len(got) != 2 || got[15] != "kill_them_all" || got[1] != "reap_them_all" {
		t.Errorf("remaps: %v, want 15 kill_them_all and 1 reap_them_all (the worker's accepting phase is not the master's)", got)
	}
	for _, bad := range []string{"15", "x gracefully_kill_them_all", "15 system"} {
		if err := remapUnixSignal(bad); err == nil || !strings.Contains(err.Error(), "unix_signal") && !strings.Contains(err.Error(), "unable to find") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
