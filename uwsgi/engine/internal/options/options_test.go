package options

import (
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// Zero means the option table's default, which is the only place the
// defaults are written.
func TestDefaultsFromTheTable(t *testing.T) {
	for _, args := range [][]string{nil, {"--buffer-size", "0", "--socket-timeout", "0", "--http-timeout", "0", "--worker-reload-mercy", "0"}} {
		cfg, err := config.LoadWith(append([]string{"--http-socket", ":0"}, args...), nil, config.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		o, err := ReadOptions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if o.BufferSize != 4096 || o.SocketTimeout != 4*time.Second || o.HTTPTimeout != 60*time.Second || o.WorkerMercy != 60*time.Second {
			t.Errorf("%q: buffer %d, socket timeout %v, http timeout %v, mercy %v", args, o.BufferSize, o.SocketTimeout, o.HTTPTimeout, o.WorkerMercy)
		}
	}
}
