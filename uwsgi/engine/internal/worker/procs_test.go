package worker

import (
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
)

func TestWorkerProcs(t *testing.T) {
	for _, tc := range []struct {
		processes, cores, procs int
		env                     string
		want                    int
	}{
		{processes: 2, cores: 1, procs: 2, want: 1},
		{processes: 4, cores: 2, procs: 8, want: 2},
		{processes: 2, cores: 100, procs: 2, want: 0}, // --goroutines 100: all CPUs
		{processes: 2, cores: 2, procs: 2, want: 0},
		{processes: 1, cores: 1, procs: 2, want: 0}, // one worker: the machine's
		{processes: 2, cores: 1, procs: 2, env: "2", want: 0},
		{processes: 2, cores: 1, procs: 1, want: 0},
	} {
		o := options.Options{Processes: tc.processes, Cores: tc.cores}
		if got := workerProcs(o, tc.procs, tc.env); got != tc.want {
			t.Errorf("processes %d cores %d GOMAXPROCS %d env %q: got %d, want %d", tc.processes, tc.cores, tc.procs, tc.env, got, tc.want)
		}
	}
}
