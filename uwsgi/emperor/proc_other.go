//go:build !linux

package emperor

import (
	"errors"
	"os"
	"syscall"
)

func socketpair() (ours, theirs *os.File, err error) {
	return nil, nil, errors.New("the Emperor needs Linux")
}

func vassalAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
