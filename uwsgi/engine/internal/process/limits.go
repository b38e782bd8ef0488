package process

import (
	"fmt"
	"strconv"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"golang.org/x/sys/unix"
)

// ApplyUmask sets --umask (octal, as uWSGI reads it) before any socket or
// file is created.
func ApplyUmask(cfg *config.Config) error {
	s := cfg.String("umask")
	if s == "" {
		return nil
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 {
		return fmt.Errorf("uwsgi: invalid umask %q: want an octal mode such as 022", s)
	}
	unix.Umask(int(m))
	return nil
}

// ApplyMaxFD sets the open files limit to --max-fd, soft and hard, as uWSGI
// does (Go raises a process's soft limit to the hard one at start, so the
// hard limit is what holds in the workers), and logs the limit in force.
// It goes through package syscall so that children inherit it.
func ApplyMaxFD(cfg *config.Config, log *logger.Logger) {
	n := uint64(cfg.Int("max-fd"))
	var rl syscall.Rlimit
	if n > 0 {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			log.Printf("uwsgi: cannot set the open files limit to %d: %v", n, err)
		}
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		log.Printf("detected max file descriptor number: %d", rl.Cur)
	}
}
