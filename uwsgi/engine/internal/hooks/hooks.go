package hooks

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
)

// Hooks (--hook-PHASE ACTION:ARG) and commands (--exec-PHASE CMD) run at
// the phases of an instance's life, as uWSGI runs them:
//
//	asap         the master (or a process alone) right after the configuration is read
//	as-root      before privileges are dropped, only when running as root
//	as-user      after privileges are dropped
//	pre-app      before the app is loaded: once, in the master, before the workers start
//	             (uWSGI's default without lazy-apps); in a process alone at start
//	post-app     right after pre-app (the app is linked in; loading it is its main())
//	master-start once the master has spawned its workers
//	post-fork    in each worker, as it starts
//	accepting    in each worker once it accepts (accepting1: worker 1 only;
//	             -once variants: only the first spawn of the worker)
//	as-user-atexit when the instance exits
//
// A failing hook is fatal (the instance stops with status 1) except at
// atexit, as in uWSGI.
var hookPhases = []string{"asap", "as-root", "as-user", "pre-app", "post-app", "master-start", "post-fork",
	"accepting", "accepting1", "accepting-once", "accepting1-once", "as-user-atexit"}

// execPhases are the phases that also have an --exec-PHASE option.
var execPhases = map[string]bool{"asap": true, "as-root": true, "as-user": true, "pre-app": true,
	"post-app": true, "post-fork": true, "as-user-atexit": true}

type hookAction func(arg string) error

var hookActions = map[string]hookAction{
	"exec": func(arg string) error { return runCommand(arg) },
	"safeexec": func(arg string) error {
		_ = runCommand(arg)
		return nil
	},
	"print": func(string) error { return nil }, // logged by runHooks
	"log":   func(string) error { return nil },
	"mkdir": func(arg string) error { return os.Mkdir(arg, 0o777) },
	"chdir": os.Chdir,
	"cd":    os.Chdir,
	"putenv": func(arg string) error {
		k, v, _ := strings.Cut(arg, "=")
		return os.Setenv(k, v)
	},
	"unlink":  os.Remove,
	"create":  func(arg string) error { return writeHookFile(arg, "", os.O_TRUNC) },
	"creat":   func(arg string) error { return writeHookFile(arg, "", os.O_TRUNC) },
	"write":   fileHook(os.O_TRUNC, ""),
	"writen":  fileHook(os.O_TRUNC, "\n"),
	"append":  fileHook(os.O_APPEND, ""),
	"appendn": fileHook(os.O_APPEND, "\n"),
	"chmod": func(arg string) error {
		f, m, _ := strings.Cut(arg, " ")
		mode, err := strconv.ParseUint(m, 8, 32)
		if err != nil {
			return fmt.Errorf("invalid mode %q", m)
		}
		return os.Chmod(f, os.FileMode(mode))
	},
	"exit": func(arg string) error {
		code, _ := strconv.Atoi(arg)
		os.Exit(code)
		return nil
	},
	"wait_for_file": func(arg string) error {
		return waitForPath(arg, func(st os.FileInfo) bool { return st.Mode().IsRegular() })
	},
	"wait_for_dir": func(arg string) error { return waitForPath(arg, func(st os.FileInfo) bool { return st.IsDir() }) },
	"wait_for_fs":  func(arg string) error { return waitForPath(arg, func(os.FileInfo) bool { return true }) },
	"unix_signal":  remapUnixSignal,
}

// masterFuncs are the uWSGI master functions a unix_signal hook can bind
// a UNIX signal to (uWSGI looks them up with dlsym).
var masterFuncs = map[string]bool{"gracefully_kill_them_all": true, "kill_them_all": true, "end_me": true,
	"grace_them_all": true, "reap_them_all": true}

// remapUnixSignal is the unix_signal hook: "SIGNUM FUNCTION", e.g. the
// Docker images' "unix_signal:15 gracefully_kill_them_all". Running it
// only checks it: the master reads the remaps from the configuration
// (SignalRemaps).
func remapUnixSignal(arg string) error {
	_, _, err := parseUnixSignal(arg)
	return err
}

func parseUnixSignal(arg string) (syscall.Signal, string, error) {
	num, fn, ok := strings.Cut(strings.TrimSpace(arg), " ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 || n >= 65 {
		return 0, "", fmt.Errorf("invalid unix_signal syntax %q, must be <signum> <func>", arg)
	}
	fn = strings.TrimSpace(fn)
	if !masterFuncs[fn] {
		return 0, "", fmt.Errorf("unable to find function %q (uwsgo has gracefully_kill_them_all, kill_them_all, end_me, grace_them_all, reap_them_all)", fn)
	}
	return syscall.Signal(n), fn, nil
}

// masterPhases are the phases the master process runs before its loop.
var masterPhases = []string{"asap", "as-root", "as-user", "pre-app", "post-app", "master-start"}

// SignalRemaps are the master's UNIX signals rebound to a master function
// by the unix_signal hooks of the phases it runs before its loop (as-root
// only when it runs as root); a later hook for the same signal wins.
func SignalRemaps(cfg *config.Config) map[syscall.Signal]string {
	remaps := map[syscall.Signal]string{}
	for _, phase := range masterPhases {
		if phase == "as-root" && os.Getuid() != 0 {
			continue
		}
		for _, h := range cfg.Strings("hook-" + phase) {
			action, arg, _ := strings.Cut(strings.TrimPrefix(h, "!"), ":")
			if action != "unix_signal" {
				continue
			}
			if sig, fn, err := parseUnixSignal(arg); err == nil {
				remaps[sig] = fn
			}
		}
	}
	return remaps
}

// fileHook is the write/append hooks: "FILE TEXT", TEXT followed by end.
func fileHook(mode int, end string) hookAction {
	return func(arg string) error {
		f, s, _ := strings.Cut(arg, " ")
		return writeHookFile(f, s+end, mode)
	}
}

func writeHookFile(path, content string, mode int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode, 0o666)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// waitForPath polls for path for up to 60 seconds (uWSGI's
// --wait-for-fs-timeout default).
func waitForPath(path string, ok func(os.FileInfo) bool) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if st, err := os.Stat(path); err == nil && ok(st) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear in 60 seconds", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runCommand runs cmd with /bin/sh -c, its output in our log.
func runCommand(cmd string) error {
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Stdout, c.Stderr, c.Stdin = os.Stderr, os.Stderr, nil
	err := process.StartCmd(c)
	if err == nil {
		err = process.WaitCmd(c)
	}
	if err != nil {
		if c.ProcessState != nil {
			return fmt.Errorf("command %q exited with non-zero code: %d", cmd, c.ProcessState.ExitCode())
		}
		return fmt.Errorf("command %q: %v", cmd, err)
	}
	return nil
}

// CheckHooks refuses, at start, a hook without "action:" or with an
// unknown action, naming it.
func CheckHooks(cfg *config.Config) error {
	for _, phase := range hookPhases {
		for _, h := range cfg.Strings("hook-" + phase) {
			action, _, ok := strings.Cut(strings.TrimPrefix(h, "!"), ":")
			if !ok {
				return fmt.Errorf("uwsgi: invalid hook syntax %q (--hook-%s), must be action:args", h, phase)
			}
			if hookActions[action] == nil {
				return fmt.Errorf("uwsgi: hook action not found: %s (--hook-%s %s)", action, phase, h)
			}
		}
	}
	return nil
}

// RunHooks runs the hooks, then the commands, of phase; the error of the
// first that failed stops the rest.
func RunHooks(cfg *config.Config, log *logger.Logger, phase string) error {
	for _, h := range cfg.Strings("hook-" + phase) {
		action, arg, _ := strings.Cut(h, ":")
		if strings.HasPrefix(action, "!") {
			action = action[1:]
			log.Printf("running --- PRIVATE HOOK --- (%s)...", phase)
		} else {
			log.Printf("running %q (%s)...", h, phase)
		}
		if action == "print" || action == "log" {
			log.Printf("%s", arg)
		}
		log.Flush()
		if err := hookActions[action](arg); err != nil {
			return fmt.Errorf("hook %q (%s) failed: %v", h, phase, err)
		}
	}
	if !execPhases[phase] {
		return nil
	}
	for _, cmd := range cfg.Strings("exec-" + phase) {
		log.Printf("running %q (%s)...", cmd, phase)
		log.Flush()
		if err := runCommand(cmd); err != nil {
			return fmt.Errorf("exec-%s: %v", phase, err)
		}
	}
	return nil
}

// RunFatalHooks runs phase's hooks and logs a failure as uWSGI does; it
// reports whether start-up may go on.
func RunFatalHooks(cfg *config.Config, log *logger.Logger, phase string) bool {
	if err := RunHooks(cfg, log, phase); err != nil {
		log.Printf("%v", err)
		log.Printf("FATAL hook failed, destroying instance")
		return false
	}
	return true
}

// DropPrivilegesWithHooks runs the as-root hooks (as root only), drops
// privileges, then runs the as-user hooks.
func DropPrivilegesWithHooks(cfg *config.Config, opts options.Options, log *logger.Logger) bool {
	if os.Getuid() == 0 && !RunFatalHooks(cfg, log, "as-root") {
		return false
	}
	if err := process.DropPrivileges(opts.UID, opts.GID, log); err != nil {
		log.Printf("%v", err)
		return false
	}
	return RunFatalHooks(cfg, log, "as-user")
}

// RunAccepting runs the accepting hooks of worker id once it accepts, in
// uWSGI's order (first tells whether this is its first spawn, for the
// -once variants): a worker's, and a single process's (worker 1).
func RunAccepting(cfg *config.Config, log *logger.Logger, id int, first bool) bool {
	phases := []string{"accepting"}
	if first {
		phases = append(phases, "accepting-once")
	}
	if id == 1 {
		phases = append(phases, "accepting1")
		if first {
			phases = append(phases, "accepting1-once")
		}
	}
	for _, p := range phases {
		if !RunFatalHooks(cfg, log, p) {
			return false
		}
	}
	return true
}
