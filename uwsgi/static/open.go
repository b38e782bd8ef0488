package static

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// errEscape: the path resolves out of its root.
var errEscape = errors.New("static: path escapes its root")

// openBeneathPortable resolves symlinks in user space (slower) where
// openat2 is missing.
func openBeneathPortable(root *os.File, rel string) (*os.File, error) {
	dir := root.Name()
	cand := filepath.Join(dir, rel)
	real, err := filepath.EvalSymlinks(cand)
	if err != nil {
		return nil, err
	}
	if !within(real, resolve(dir)) {
		return nil, errEscape
	}
	return os.Open(real)
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
