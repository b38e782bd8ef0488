package process

import (
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
)

// PID 1 in a container: orphans of hooks, daemons and crons are reparented
// to the master, which must reap them or they stay zombies. Go waits for
// its own children by PID (os.Process.Wait, exec.Cmd.Wait); a blind
// wait(-1) would steal their exit status. So every process the engine
// starts is registered while a start lock is held, and the reaper, holding
// that lock, reaps only exited children nobody registered.
var ownChildren struct {
	start sync.RWMutex // read: starting a process; write: reaping
	mu    sync.Mutex
	pids  map[int]bool
}

// StartTracked runs start (which starts one process and returns its pid)
// and registers the process as one some goroutine of ours waits for.
func StartTracked(start func() (int, error)) (int, error) {
	ownChildren.start.RLock()
	defer ownChildren.start.RUnlock()
	pid, err := start()
	if err == nil {
		TrackChild(pid)
	}
	return pid, err
}

// StartCmd is startTracked for an exec.Cmd.
func StartCmd(c *exec.Cmd) error {
	_, err := StartTracked(func() (int, error) {
		if err := c.Start(); err != nil {
			return 0, err
		}
		return c.Process.Pid, nil
	})
	return err
}

// WaitCmd waits for c and forgets its pid.
func WaitCmd(c *exec.Cmd) error {
	err := c.Wait()
	UntrackChild(c.Process.Pid)
	return err
}

// TrackChild marks pid as a child its starter waits for (the orphan
// reaper leaves it alone).
func TrackChild(pid int) {
	ownChildren.mu.Lock()
	defer ownChildren.mu.Unlock()
	if ownChildren.pids == nil {
		ownChildren.pids = map[int]bool{}
	}
	ownChildren.pids[pid] = true
}

// UntrackChild forgets pid (TrackChild), once it was waited for.
func UntrackChild(pid int) {
	ownChildren.mu.Lock()
	defer ownChildren.mu.Unlock()
	delete(ownChildren.pids, pid)
}

// WaitInherited waits in a goroutine for pid if it is a child of this
// process that nobody waits for: one an earlier image of the process started
// before a re-exec (execve keeps the children, not the goroutines waiting
// for them). Anything else (not a child, or a child already waited for) is
// left alone.
func WaitInherited(pid int) {
	ownChildren.start.RLock()
	ownChildren.mu.Lock()
	mine := ownChildren.pids[pid]
	if !mine {
		if ownChildren.pids == nil {
			ownChildren.pids = map[int]bool{}
		}
		ownChildren.pids[pid] = true
	}
	ownChildren.mu.Unlock()
	ownChildren.start.RUnlock()
	if mine {
		return
	}
	go func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break // reaped, or ECHILD: not our child
			}
		}
		UntrackChild(pid)
	}()
}

func isOwnChild(pid int) bool {
	ownChildren.mu.Lock()
	defer ownChildren.mu.Unlock()
	return ownChildren.pids[pid]
}

// reapOrphans reaps every exited child no goroutine of ours waits for and
// returns their pids. It stops at the first exited child of our own (its
// waiter reaps it soon; the next call goes on).
func reapOrphans() []int {
	ownChildren.start.Lock()
	defer ownChildren.start.Unlock()
	var reaped []int
	for range 1024 {
		pid := exitedChild()
		if pid <= 0 || isOwnChild(pid) {
			break
		}
		if !reapChild(pid) {
			break
		}
		reaped = append(reaped, pid)
	}
	return reaped
}

// StartReaper reaps orphans while the process runs as PID 1 (in a
// container, or under unshare --pid): on every SIGCHLD, and once a second
// for a SIGCHLD that came while an own child was in the way. It returns
// the function that stops it.
func StartReaper(log *logger.Logger) func() {
	if os.Getpid() != 1 {
		return func() {}
	}
	sigc := make(chan os.Signal, 16)
	signal.Notify(sigc, syscall.SIGCHLD)
	tick := time.NewTicker(time.Second)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sigc:
			case <-tick.C:
			}
			for _, pid := range reapOrphans() {
				log.Printf("reaped orphaned process %d (I am PID 1)", pid)
			}
		}
	}()
	return func() {
		signal.Stop(sigc)
		tick.Stop()
		close(done)
	}
}
