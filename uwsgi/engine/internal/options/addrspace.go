package options

import (
	"os"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
)

// A Go process reserves address space up front (heap arenas, goroutine
// stacks, one mcache per P): a small app shows 1-2 GB of VSZ for 10 MB of
// RSS, and a worker a little more than its master. uWSGI's address-space
// options were written for C processes whose VSZ tracks their memory, so a
// typical value (512 MB) is below what any Go process starts with: applied
// as is, reload-on-as would recycle every worker after its first request
// and limit-as would make the runtime's next reservation fail. uwsgo
// applies them only when they are at least twice the baseline measured at
// start, and otherwise says so once and ignores them.
const asHeadroom = 2

// addressSpace is this process's VSZ now, in bytes.
func addressSpace() uint64 {
	_, vsz := process.ProcessMemory(os.Getpid())
	return vsz
}

// checkAddressSpace clears the address-space thresholds that are below the
// baseline and returns one warning for each. It runs in every process, so
// a worker that starts above a limit disables it for itself too.
func checkAddressSpace(cfg *config.Config, o *Options) []string {
	if o.ReloadOnAS == 0 && o.EvilReloadOnAS == 0 && cfg.Int("limit-as") == 0 {
		return nil
	}
	base := addressSpace()
	var warnings []string
	check := func(name string, lim *uint64) {
		if *lim == 0 || base == 0 || *lim >= asHeadroom*base {
			return
		}
		warnings = append(warnings, asWarning(name, *lim, base))
		*lim = 0
	}
	check("reload-on-as", &o.ReloadOnAS)
	check("evil-reload-on-as", &o.EvilReloadOnAS)
	o.LimitAS = uint64(cfg.Int("limit-as")) << 20
	check("limit-as", &o.LimitAS)
	return warnings
}

func asWarning(name string, lim, base uint64) string {
	return "uwsgi: " + name + " = " + mb(lim) + " MB is ignored: it measures virtual address space (VSZ), and this Go binary " +
		"reserves " + mb(base) + " MB of it at start whatever memory it uses (applied, it would " + asEffect(name) +
		"); use --reload-on-rss / --evil-reload-on-rss, which measure memory, or a value of at least " + mb(asHeadroom*base) + " MB"
}

func asEffect(name string) string {
	if name == "limit-as" {
		return "make the Go runtime abort with out of memory"
	}
	return "recycle every worker right after it starts"
}

func mb(n uint64) string {
	return uitoa(n >> 20)
}

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// ApplyLimitAS sets RLIMIT_AS (soft and hard) to --limit-as when it was
// kept, so every process started afterwards inherits it, as in uWSGI.
func ApplyLimitAS(o Options, log *logger.Logger) {
	if o.LimitAS == 0 {
		return
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: o.LimitAS, Max: o.LimitAS}); err != nil {
		log.Printf("uwsgi: cannot set the address space limit to %s MB: %v", mb(o.LimitAS), err)
		return
	}
	log.Printf("limiting address space of processes to %s MB", mb(o.LimitAS))
}
