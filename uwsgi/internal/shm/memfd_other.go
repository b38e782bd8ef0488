//go:build unix && !linux

package shm

import "os"

// NewFile makes an unlinked temporary file of n bytes.
func NewFile(name string, n int64) (*os.File, error) {
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
