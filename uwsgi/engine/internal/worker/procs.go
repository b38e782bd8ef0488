package worker

import (
	"os"
	"runtime"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
)

// A worker that is one of several (--processes N) runs its goroutines on
// at most as many CPUs as it has cores (--threads, --goroutines; 1 by
// default), as a uWSGI worker process does and as fasthttp's prefork
// children do (GOMAXPROCS 1): the processes are the instance's
// parallelism. With the machine's GOMAXPROCS in every worker, a one-core
// worker's idle processors woke (futex) and spun for every connection,
// and the sysmon thread slept and woke with each one: two one-core
// workers on 2 CPUs under one-shot clients (ab -c 4) served 31% more
// with 1 (docs/benchmarks.md). The GOMAXPROCS environment variable, when
// set, wins.

// workerProcs is the GOMAXPROCS a worker sets, or 0 to leave it: procs is
// the runtime's current value, env the GOMAXPROCS variable.
func workerProcs(opts options.Options, procs int, env string) int {
	if env != "" || opts.Processes < 2 || opts.Cores >= procs {
		return 0
	}
	return max(opts.Cores, 1)
}

// limitProcs applies workerProcs to this process.
func limitProcs(opts options.Options) {
	if n := workerProcs(opts, runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS")); n > 0 {
		runtime.GOMAXPROCS(n)
	}
}
