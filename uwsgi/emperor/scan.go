package emperor

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// found is one vassal file a scan saw.
type found struct {
	monitor  string
	mtime    time.Time
	uid, gid int
}

// scan compares the monitors' files with the vassals: a new file starts a
// vassal, a touched one reloads it, a missing one stops it.
func (e *emperor) scan() {
	seen := map[string]found{}
	for _, m := range e.o.Monitors {
		for _, path := range monitorFiles(m) {
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			f := found{monitor: m, mtime: fi.ModTime()}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				f.uid, f.gid = int(st.Uid), int(st.Gid)
			}
			if _, dup := seen[path]; !dup {
				seen[path] = f
			}
		}
	}
	for path, f := range seen {
		v, ok := e.vassals[path]
		switch {
		case !ok:
			v = &vassal{path: path, name: filepath.Base(path), monitor: f.monitor, mtime: f.mtime, uid: f.uid, gid: f.gid}
			e.vassals[path] = v
			v.start(e)
		case v.removed:
			// stopping: a file back in place starts again once it exited
		case !f.mtime.Equal(v.mtime) || f.uid != v.uid || f.gid != v.gid:
			v.mtime, v.uid, v.gid = f.mtime, f.uid, f.gid
			v.refused = false
			if v.run != nil {
				v.command(cmdReload, e)
			} else if v.nextStart.IsZero() {
				v.start(e)
			}
		}
	}
	for path, v := range e.vassals {
		if _, ok := seen[path]; !ok && !v.removed {
			v.removed = true
			v.stop(e)
		}
	}
}

// monitorFiles lists the config files of a monitor: a glob, or a
// directory's .ini/.yaml/.yml/.json/.js files (dotfiles are not vassals:
// editors leave them).
func monitorFiles(m string) []string {
	var out []string
	if strings.ContainsAny(m, "*?[") {
		paths, _ := filepath.Glob(m)
		for _, p := range paths {
			if _, ok := config.FileKind(p); ok && !strings.HasPrefix(filepath.Base(p), ".") {
				out = append(out, absPath(p))
			}
		}
		return out
	}
	entries, err := os.ReadDir(m)
	if err != nil {
		return nil
	}
	for _, de := range entries {
		if _, ok := config.FileKind(de.Name()); ok && !strings.HasPrefix(de.Name(), ".") {
			out = append(out, absPath(filepath.Join(m, de.Name())))
		}
	}
	return out
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
