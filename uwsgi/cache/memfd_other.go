//go:build unix && !linux

package cache

import "os"

// newSharedFile makes an unlinked temporary file of n bytes.
func newSharedFile(name string, n int64) (*os.File, error) {
	f, err := os.CreateTemp("", name)
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if err := f.Truncate(n); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
