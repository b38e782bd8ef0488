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
