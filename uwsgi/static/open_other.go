//go:build !linux

package static

import "os"

func openBeneath(root *os.File, rel string) (*os.File, error) { return openBeneathPortable(root, rel) }
