//go:build unix

package proc

import (
	"os/exec"
	"testing"
)

func TestDescribeExit(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{"exit 3", "exited with status 3"},
		{"kill -9 $$", "was killed by signal 9"},
	} {
		cmd := exec.Command("sh", "-c", c.script)
		_ = cmd.Run()
		if got := DescribeExit(cmd.ProcessState); got != c.want {
			t.Errorf("%q: %q, want %q", c.script, got, c.want)
		}
	}
	if got := DescribeExit(nil); got != "died" {
		t.Errorf("no state: %q", got)
	}
}
