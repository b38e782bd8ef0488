package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/hooks"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/master"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/logging"
)

// The published configs in config/testdata/real must start: their hooks,
// daemons, caches and loggers all parse.
func TestRealConfigsStart(t *testing.T) {
	files, _ := filepath.Glob("../config/testdata/real/*.ini")
	for _, f := range files {
		cfg, err := config.LoadWith([]string{"--ini", f}, nil, config.LoadOptions{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := hooks.CheckHooks(cfg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if _, err := master.ParseDaemons(cfg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if _, err := caches.CacheSpecs(cfg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if _, err := options.ReadOptions(cfg); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		r, err := logging.New(master.LoggingConfig(cfg), logging.WriterSink(os.Stderr))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		r.Close()
	}
}
