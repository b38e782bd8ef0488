package process

import (
	"fmt"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

const envDaemonized = "UWSGO_DAEMONIZED"

// daemonized is true in the detached copy --daemonize started: its PID is
// not the one the service manager started (sd_notify's MAINPID=).
var Daemonized bool

// daemonize detaches the instance (--daemonize FILE): Go cannot fork, so the
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

// dropPrivileges applies --gid then --uid (names or numbers), after the
// sockets and pidfiles were set up as root.
func DropPrivileges(uidSpec, gidSpec string, log *logger.Logger) error {
	if gidSpec != "" {
		gid, err := strconv.Atoi(gidSpec)
		if err != nil {
			g, lerr := user.LookupGroup(gidSpec)
			if lerr != nil {
				return fmt.Errorf("uwsgi: unable to find group %s: %v", gidSpec, lerr)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
		if err := syscall.Setgroups([]int{gid}); err != nil {
			return fmt.Errorf("uwsgi: setgroups(): %v", err)
		}
		if err := syscall.Setgid(gid); err != nil {
			return fmt.Errorf("uwsgi: setgid(): %v", err)
		}
		log.Printf("setgid() to %d", gid)
	}
	if uidSpec != "" {
		uid, err := strconv.Atoi(uidSpec)
		if err != nil {
			u, lerr := user.Lookup(uidSpec)
			if lerr != nil {
				return fmt.Errorf("uwsgi: unable to find user %s: %v", uidSpec, lerr)
			}
			uid, _ = strconv.Atoi(u.Uid)
		}
		if err := syscall.Setuid(uid); err != nil {
			return fmt.Errorf("uwsgi: setuid(): %v", err)
		}
		log.Printf("setuid() to %d", uid)
	} else if os.Getuid() == 0 {
		log.Printf("*** WARNING: you are running uWSGI as root !!! (use the --uid flag) ***")
	}
	return nil
}
