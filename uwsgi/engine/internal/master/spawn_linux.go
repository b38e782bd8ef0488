package master

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"golang.org/x/sys/unix"
)

// startWorkerProcess re-executes the binary as a worker.
func startWorkerProcess(m *master, id, slot int, gen uint64) (int, workerProc, *os.File, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("control socketpair: %w", err)
	}
	m.sizeCtrlPair(pair)
	ctrl := os.NewFile(uintptr(pair[0]), "control")
	theirs := os.NewFile(uintptr(pair[1]), "control-worker")
	defer theirs.Close()
	// syscall.StartProcess with raw descriptors: os/exec would call Fd() on
	// the listener files, which turns the shared socket to blocking mode for
	// every worker and can leave an accept(2) that Close cannot interrupt.
	reqPipe := m.logMaster.childLogFiles()
	lay := handoff.Layout{Sockets: len(m.sockets), Caches: len(caches.All()), ReqLog: len(reqPipe) > 0, TLS: m.tls != nil}
	files := make([]uintptr, lay.Len())
	files[0], files[1], files[2] = 0, m.log.Output().Fd(), m.log.Output().Fd()
	for i, s := range m.sockets {
		files[lay.Socket(i)] = socket.HeldFD(s)
	}
	files[lay.Scoreboard()], files[lay.Control()] = socket.RawFD(m.board.File()), uintptr(pair[1])
	cacheFDs := make([]string, lay.Caches)
	for i, c := range caches.All() {
		files[lay.Cache(i)] = socket.RawFD(c.File())
		cacheFDs[i] = strconv.Itoa(lay.Cache(i))
	}
	reqFD := "-"
	if lay.ReqLog {
		files[lay.ReqLogPipe()] = socket.RawFD(reqPipe[0])
		reqFD = strconv.Itoa(lay.ReqLogPipe())
	}
	if lay.TLS {
		files[lay.TLSBundle()] = socket.RawFD(m.tls.file)
	}
	env := append(handoff.CleanEnv(),
		handoff.EnvRole+"=worker",
		fmt.Sprintf("%s=%d:%d:%d", handoff.EnvWorker, id, slot, gen),
		fmt.Sprintf("%s=%d", handoff.EnvSocketCount, lay.Sockets),
		handoff.EnvSocketList+"="+handoff.EncodeSockets(socket.SpecsOf(m.sockets)))
	if lay.Caches > 0 {
		env = append(env, handoff.EnvCaches+"="+strings.Join(cacheFDs, ","))
	}
	if m.logMaster != nil {
		env = append(env, handoff.EnvReqLog+"="+reqFD)
	}
	if lay.TLS {
		env = append(env, handoff.EnvTLS+"="+strconv.Itoa(lay.TLSBundle()))
	}
	pid, err := process.StartTracked(func() (int, error) {
		pid, _, err := syscall.StartProcess(m.exe, os.Args, &syscall.ProcAttr{
			Env: env, Files: files, Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
		})
		return pid, err
	})
	if err != nil {
		ctrl.Close()
		return 0, nil, nil, err
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		ctrl.Close()
		return 0, nil, nil, err
	}
	return pid, proc, ctrl, nil
}
