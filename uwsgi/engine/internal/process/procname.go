package process

import (
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// The process title (--procname and friends) is what ps shows: Linux reads
// it from the memory holding the program's arguments, which uwsgo
// overwrites as uWSGI does. Go's os.Args point into that memory, so they
// are cloned first (at init, before any configuration is read).
var argvArea []byte

func init() {
	if len(os.Args) == 0 || len(os.Args[0]) == 0 {
		return
	}
	start := unsafe.StringData(os.Args[0])
	end := uintptr(unsafe.Pointer(start))
	for _, a := range os.Args {
		if len(a) == 0 || uintptr(unsafe.Pointer(unsafe.StringData(a))) != end {
			break // not the contiguous argv block: leave the title alone
		}
		end += uintptr(len(a)) + 1
	}
	n := int(end-uintptr(unsafe.Pointer(start))) - 1 // keep the final NUL
	for i := range os.Args {
		os.Args[i] = strings.Clone(os.Args[i])
	}
	if n > 0 {
		argvArea = unsafe.Slice(start, n)
	}
}

// setProcTitle replaces what ps shows for this process (truncated to the
// room the original arguments had), and the kernel's 15-byte comm name.
func setProcTitle(title string) {
	if argvArea == nil || title == "" {
		return
	}
	n := copy(argvArea, title)
	clear(argvArea[n:])
	setCommName(title)
}

// procTitle is the title uWSGI gives this process: role "master" or
// "worker", id the worker id. It is "" when no option asks for one.
func procTitle(cfg *config.Config, role string, id int) string {
	name := ""
	switch {
	case role == "master" && cfg.String("procname-master") != "":
		name = cfg.String("procname-master")
	case cfg.String("procname") != "":
		name = cfg.String("procname")
	case cfg.Bool("auto-procname") && role == "master":
		name = "uWSGI master"
	case cfg.Bool("auto-procname"):
		name = "uWSGI worker " + strconv.Itoa(id)
	}
	prefix := cfg.String("procname-prefix")
	if p := cfg.String("procname-prefix-spaced"); p != "" {
		prefix = p + " "
	}
	if name == "" && prefix == "" && cfg.String("procname-append") == "" {
		return ""
	}
	if name == "" {
		name = strings.Join(os.Args, " ")
	}
	return prefix + name + cfg.String("procname-append")
}

// ApplyProcTitle sets the title of this process for its role.
func ApplyProcTitle(cfg *config.Config, role string, id int) {
	setProcTitle(procTitle(cfg, role, id))
}
