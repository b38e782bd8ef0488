package engine

import (
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
)

// WorkerID is the id of the calling process as uWSGI numbers it: 1..N in a
// worker spawned by a master, 0 in the master itself, 1 when serving alone.
func WorkerID(cfg *config.Config) int {
	if wi, ok, err := handoff.RoleFromEnv(); ok && err == nil {
		return wi.ID
	}
	if o, err := options.ReadOptions(cfg); err == nil && o.Master {
		return 0
	}
	return 1
}

// HasMaster reports whether the calling process runs under (or is) a master.
func HasMaster(cfg *config.Config) bool {
	if _, ok, _ := handoff.RoleFromEnv(); ok {
		return true
	}
	o, err := options.ReadOptions(cfg)
	return err == nil && o.Master
}
