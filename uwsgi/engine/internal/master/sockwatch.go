package master

import (
	"os"
	"strings"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
)

// checkUnixSockets runs every master tick: a unix socket whose path was
// deleted (a careless cleanup of /tmp or /run) can no longer be reached.
// The master binds the path again and reloads the workers gracefully, so
// that the new generation listens on it; logged once per recovery.
func (m *master) checkUnixSockets() {
	if m.stopping != nil || m.reload != nil {
		return
	}
	for i, s := range m.sockets {
		if s.Network != "unix" || strings.HasPrefix(s.Addr, "@") || s.Activated {
			continue
		}
		if fi, err := os.Lstat(s.Addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			continue
		}
		ns, err := socket.Bind(s.Index, s.Name, s.Kind, m.opts.Sockets)
		if err != nil {
			if !m.sockLost[s.Addr] { // retried every second, logged once
				m.log.Printf("uwsgi: unix socket %s disappeared and cannot be bound again (retrying): %v", s.Addr, err)
			}
			if m.sockLost == nil {
				m.sockLost = map[string]bool{}
			}
			m.sockLost[s.Addr] = true
			continue
		}
		delete(m.sockLost, s.Addr)
		ns.TLS = s.TLS
		if err := socket.Hold(ns); err != nil {
			ns.Close()
			m.log.Printf("uwsgi: unix socket %s: %v", s.Addr, err)
			continue
		}
		m.log.Printf("uwsgi: unix socket %s was deleted: bound it again; reloading the workers onto it", s.Addr)
		m.sockets[i] = ns
		_ = s.Listener.Close() // a Held never removes the path, which is the new socket's now
		m.requestReload(false, "socket "+s.Addr+" rebound")
	}
}
