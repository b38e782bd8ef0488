//go:build !linux

package engine

import "errors"

func exitedChild() int   { return 0 }
func reapChild(int) bool { return false }
func subreaper() error   { return errors.New("child subreapers need Linux") }
