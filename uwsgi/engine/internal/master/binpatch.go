package master

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
)

// BinaryPatch runs --privileged-binary-patch / --unprivileged-binary-patch:
// uWSGI execs the named binary with its own arguments. This is how a vassal
// file of the uWSGI Emperor names a uwsgo app: the Emperor starts
// /usr/bin/uwsgi --ini FILE, which execs APP --ini FILE, and APP reads the
// same file with the same option in it. A value naming the running binary
// is therefore done, not a loop. It returns only when nothing was exec'd.
func BinaryPatch(cfg *config.Config, o options.Options) error {
	for _, name := range []string{"privileged-binary-patch", "unprivileged-binary-patch"} {
		bin := cfg.String(name)
		if bin == "" {
			continue
		}
		path, err := exec.LookPath(bin)
		if err != nil {
			return fmt.Errorf("uwsgi: --%s %s: %w", name, bin, err)
		}
		if isSelf(path) {
			continue
		}
		if name == "unprivileged-binary-patch" {
			if err := process.DropPrivileges(o.UID, o.GID, logger.NewLogger(os.Stderr)); err != nil {
				return err
			}
		}
		argv := append([]string{bin}, os.Args[1:]...)
		err = syscall.Exec(path, argv, os.Environ())
		return fmt.Errorf("uwsgi: --%s: execvp() %s: %w", name, path, err)
	}
	return nil
}

// isSelf reports whether path is the running executable (same file).
func isSelf(path string) bool {
	self, err := os.Stat("/proc/self/exe")
	if err != nil {
		exe, eerr := os.Executable()
		if eerr != nil {
			return false
		}
		if self, err = os.Stat(exe); err != nil {
			return false
		}
	}
	fi, err := os.Stat(path)
	return err == nil && os.SameFile(self, fi)
}
