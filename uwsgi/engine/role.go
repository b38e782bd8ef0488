package engine

import (
	"fmt"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"net"
	"os"
	"strconv"
	"strings"
)

// The environment a master gives the workers it spawns (and itself across
// a binary re-exec). The names start with UWSGO_ so that uWSGI's UWSGI_*
// option variables never see them.
const (
	envRole        = "UWSGO_ROLE"         // "worker" in a worker process
	envWorker      = "UWSGO_WORKER"       // "id:slot:generation"
	envSocketCount = "UWSGO_SOCKETS"      // number of listen sockets, passed from fd 3
	envMasterState = "UWSGO_MASTER_STATE" // set across a master re-exec (see reexec.go)
)

// First inherited descriptor: fds 0-2 are stdio, ExtraFiles start at 3.
const firstFD = 3

// workerIdentity is what a worker learns from its environment.
type workerIdentity struct {
	id, slot int
	gen      uint64
	sockets  int
}

// roleFromEnv reports whether this process is a worker spawned by a master.
func roleFromEnv() (workerIdentity, bool, error) {
	if os.Getenv(envRole) != "worker" {
		return workerIdentity{}, false, nil
	}
	var wi workerIdentity
	parts := strings.Split(os.Getenv(envWorker), ":")
	if len(parts) != 3 {
		return wi, true, fmt.Errorf("uwsgi: bad %s=%q", envWorker, os.Getenv(envWorker))
	}
	var err1, err2, err3, err4 error
	wi.id, err1 = strconv.Atoi(parts[0])
	wi.slot, err2 = strconv.Atoi(parts[1])
	wi.gen, err3 = strconv.ParseUint(parts[2], 10, 64)
	wi.sockets, err4 = strconv.Atoi(os.Getenv(envSocketCount))
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return wi, true, fmt.Errorf("uwsgi: bad worker environment: %v", err)
		}
	}
	return wi, true, nil
}

// inheritedListener turns descriptor fd into a listener.
func inheritedListener(fd int) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), "listener-"+strconv.Itoa(fd))
	defer f.Close()
	return net.FileListener(f)
}

// cleanEnv is the environment without our own role variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "UWSGO_") && (strings.HasPrefix(kv, envRole+"=") ||
			strings.HasPrefix(kv, envWorker+"=") || strings.HasPrefix(kv, envSocketCount+"=") || strings.HasPrefix(kv, envSocketList+"=") ||
			strings.HasPrefix(kv, envMasterState+"=") || strings.HasPrefix(kv, envCaches+"=") || strings.HasPrefix(kv, envReqLog+"=") ||
			strings.HasPrefix(kv, envTLS+"=")) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// WorkerID is the id of the calling process as uWSGI numbers it: 1..N in a
// worker spawned by a master, 0 in the master itself, 1 when serving alone.
func WorkerID(cfg *config.Config) int {
	if wi, ok, err := roleFromEnv(); ok && err == nil {
		return wi.id
	}
	if o, err := readOptions(cfg); err == nil && o.Master {
		return 0
	}
	return 1
}

// HasMaster reports whether the calling process runs under (or is) a master.
func HasMaster(cfg *config.Config) bool {
	if _, ok, _ := roleFromEnv(); ok {
		return true
	}
	o, err := readOptions(cfg)
	return err == nil && o.Master
}
