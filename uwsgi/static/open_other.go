//go:build !linux

package static

import "os"

func openBeneath(root *os.File, rel string) (int, error) { return openBeneathPortable(root, rel) }
