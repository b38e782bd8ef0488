package master

import "github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"

// initTouch records the touch files' state at start.
func (m *master) initTouch() {
	m.touch = map[string]socket.FileID{}
	for _, list := range [][]string{m.opts.TouchReload, m.opts.TouchChainReload, m.cfg.Strings("touch-logreopen")} {
		for _, p := range list {
			id := socket.StatID(p)
			if !id.Exists {
				m.log.Printf("unable to stat() %s, events will be triggered as soon as the file is created", p)
			}
			m.touch[p] = id
		}
	}
}

// checkTouch reloads when a touch file was modified, created or removed.
func (m *master) checkTouch() {
	for _, p := range m.opts.TouchReload {
		if m.touched(p) {
			m.log.Printf("*** %s has been touched... grace them all !!! ***", p)
			m.requestReload(false, "touch-reload")
		}
	}
	for _, ts := range m.touchSignals {
		if m.touched(ts.path) {
			m.log.Printf("*** %s has been touched... raising signal %d ***", ts.path, ts.signum)
			m.routeSignal(ts.signum)
		}
	}
	for _, p := range m.cfg.Strings("touch-logreopen") {
		if m.touched(p) {
			m.log.Printf("*** %s has been touched... reopening log files !!! ***", p)
			m.logMaster.reopen(m.log)
		}
	}
	for _, p := range m.opts.TouchChainReload {
		if m.touched(p) {
			m.log.Printf("*** %s has been touched... chain reload !!! ***", p)
			m.requestReload(true, "touch-chain-reload")
		}
	}
}

func (m *master) touched(p string) bool {
	id := socket.StatID(p)
	old := m.touch[p]
	m.touch[p] = id
	return id.Exists != old.Exists || id.Mtime != old.Mtime || id.Ino != old.Ino
}
