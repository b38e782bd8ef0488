package master

import (
	"fmt"
	"time"
)

// fsAction is what an inotify event on a watched path does.
type fsAction struct {
	path   string
	signum int  // >= 0: raise it
	reload bool // --fs-reload / --fs-brutal-reload
	last   time.Time
}

// watchPath adds a file monitor; the first one starts the watcher.
func (m *master) watchPath(path string, a *fsAction) error {
	if m.fs == nil {
		w, err := newFSWatcher()
		if err != nil {
			return err
		}
		m.fs, m.fsActions = w, map[int]*fsAction{}
		go w.run(func(wd int) { m.events <- event{kind: evFS, id: wd} })
	}
	wd, err := m.fs.add(path)
	if err != nil {
		return fmt.Errorf("uwsgi: unable to monitor %s: %v", path, err)
	}
	for _, old := range m.fsActions {
		if old.path == path && old.signum == a.signum && old.reload == a.reload {
			return nil // a monitor every worker's main() asked for, kept once
		}
	}
	a.path = path
	m.fsActions[wd] = a
	m.log.Printf("[uwsgi-fsmon] watching %s", path)
	return nil
}

// onFS runs the action of an inotify event.
func (m *master) onFS(wd int) {
	a := m.fsActions[wd]
	if a == nil {
		return
	}
	if a.reload {
		if m.reload == nil && time.Since(a.last) > time.Second {
			a.last = time.Now()
			m.log.Printf("[uwsgi-fsmon] %s has been modified", a.path)
			m.requestReload(false, "fs-reload")
		}
		return
	}
	m.routeSignal(uint8(a.signum))
}

// configureFS reads --fs-signal "PATH SIG", --fs-reload and --fs-brutal-reload.
func (m *master) configureFS() error {
	for _, spec := range m.cfg.Strings("fs-signal") {
		path, n, err := pathSignal("fs-signal", "path", spec)
		if err != nil {
			return err
		}
		if err := m.watchPath(path, &fsAction{signum: int(n)}); err != nil {
			m.log.Printf("%v (the monitor is skipped, as uWSGI does)", err)
		}
	}
	for _, p := range append(m.cfg.Strings("fs-reload"), m.cfg.Strings("fs-brutal-reload")...) {
		if err := m.watchPath(p, &fsAction{signum: -1, reload: true}); err != nil {
			m.log.Printf("%v (the monitor is skipped, as uWSGI does)", err)
		}
	}
	return nil
}
