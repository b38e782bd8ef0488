// Command app serves the compat probes with uwsgo; tests/compat runs it
// with --http-socket and --socket. PROBE_BACKEND is the websocket echo
// server the reverse-proxy probe forwards to.
package main

import (
	"os"

	"github.com/uwsgo/uwsgo/tests/compat/probes"
	"github.com/uwsgo/uwsgo/uwsgi"
)

func main() {
	uwsgi.RunHandler(probes.Handler(os.Getenv("PROBE_BACKEND")))
}
