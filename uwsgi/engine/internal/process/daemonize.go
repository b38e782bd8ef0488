package process

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

const envDaemonized = "UWSGO_DAEMONIZED"

// Daemonized is true in the detached copy --daemonize started: its PID is
// not the one the service manager started (sd_notify's MAINPID=).
var Daemonized bool

// Daemonize detaches the instance (--daemonize FILE): Go cannot fork, so the
// binary starts itself again in a new session with its output appended to
// FILE, and this process exits 0 once the copy started.
func Daemonize(logfile string) (exited bool, err error) {
	if os.Getenv(envDaemonized) == "1" {
		os.Unsetenv(envDaemonized)
		Daemonized = true
		return false, nil
	}
	out, err := os.OpenFile(logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return false, fmt.Errorf("uwsgi: daemonize: %w", err)
	}
	defer out.Close()
	exe, err := os.Executable()
	if err != nil {
		return false, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), envDaemonized+"=1")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("uwsgi: daemonize: %w", err)
	}
	return true, nil
}
