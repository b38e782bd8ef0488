package process

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
)

// DropPrivileges applies --gid then --uid (names or numbers), after the
// sockets and pidfiles were set up as root.
func DropPrivileges(uidSpec, gidSpec string, log *logger.Logger) error {
	if gidSpec != "" {
		gid, err := LookupGroup(gidSpec)
		if err != nil {
			return fmt.Errorf("uwsgi: unable to find group %s: %v", gidSpec, err)
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
		uid, _, err := LookupUser(uidSpec)
		if err != nil {
			return fmt.Errorf("uwsgi: unable to find user %s: %v", uidSpec, err)
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

// LookupUser resolves a user name or number (--uid, --chown-socket) to its
// uid and, for a name, its primary gid (-1 for a number).
func LookupUser(spec string) (uid, gid int, err error) {
	if uid, err := strconv.Atoi(spec); err == nil {
		return uid, -1, nil
	}
	u, err := user.Lookup(spec)
	if err != nil {
		return 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// LookupGroup resolves a group name or number (--gid, --chown-socket).
func LookupGroup(spec string) (int, error) {
	if gid, err := strconv.Atoi(spec); err == nil {
		return gid, nil
	}
	g, err := user.LookupGroup(spec)
	if err != nil {
		return 0, err
	}
	gid, _ := strconv.Atoi(g.Gid)
	return gid, nil
}
