package static

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// errEscape: the path resolves out of its root.
var errEscape = errors.New("static: path escapes its root")

// openBeneathPortable resolves symlinks in user space (slower) where
// openat2 is missing.
func openBeneathPortable(root *os.File, rel string) (int, error) {
	dir := root.Name()
	cand := filepath.Join(dir, rel)
	real, err := filepath.EvalSymlinks(cand)
	if err != nil {
		return -1, err
	}
	if !within(real, resolve(dir)) {
		return -1, errEscape
	}
	return openFD(real)
}

// openFD opens name for reading.
func openFD(name string) (int, error) {
	for {
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			if err != nil {
				return -1, &os.PathError{Op: "open", Path: name, Err: err}
			}
			return fd, nil
		}
	}
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}
