//go:build !linux

package engine

import "errors"

type fsWatcher struct{}

func newFSWatcher() (*fsWatcher, error) {
	return nil, errors.New("file monitors need Linux (inotify)")
}

func (w *fsWatcher) add(string) (int, error) { return 0, errors.New("no inotify") }
func (w *fsWatcher) run(func(int))           {}
