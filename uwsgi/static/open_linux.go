package static

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openBeneath opens rel (relative, clean) under the directory root with
// one openat2(RESOLVE_BENEATH) call: the kernel refuses any resolution
// that leaves root, through ".." or a symlink (errEscape).
func openBeneath(root *os.File, rel string) (int, error) {
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS}
	for {
		fd, err := unix.Openat2(int(root.Fd()), rel, &how)
		switch {
		case err == nil:
			return fd, nil
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.EXDEV):
			return -1, errEscape
		case errors.Is(err, unix.ENOSYS):
			return openBeneathPortable(root, rel)
		}
		return -1, err
	}
}
