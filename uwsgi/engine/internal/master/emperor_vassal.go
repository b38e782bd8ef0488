package master

import (
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"golang.org/x/sys/unix"
)

// The vassal's side of the uWSGI Emperor protocol (uWSGI's core/emperor.c).
// The Emperor starts a vassal with one end of a stream socketpair in
// UWSGI_EMPEROR_FD; both sides speak single bytes over it.
//
// Vassal to Emperor:
//
//	1   spawned: the instance is up ("vassal X has been spawned")
//	5   the first worker accepts ("vassal X is ready to accept requests")
//	17  loyal ("vassal X is now loyal"); uWSGI sends it after the first request,
//	    uwsgo once the workers accept: a loyal vassal is one that started
//	26  heartbeat: one before loyal, then every --heartbeat seconds (the Emperor's
//	    --emperor-required-heartbeat watches a vassal from its first heartbeat on)
//
// Emperor to vassal: 0 stop at once, 1 graceful reload, 2 graceful stop.
// End of file means the Emperor is gone: the vassal stops its workers and
// exits, as uWSGI's does.
const (
	envEmperorFD = "UWSGI_EMPEROR_FD"

	vassalSpawned   = 1
	vassalAccepting = 5
	vassalLoyal     = 17
	vassalHeartbeat = 26

	emperorStop         = 0
	emperorReload       = 1
	emperorGracefulStop = 2
)

// emperorLink is the vassal's channel to its Emperor.
type emperorLink struct {
	log       *logger.Logger
	f         *os.File
	fd        int
	announced bool // spawned/accepting/loyal sent
}

// openEmperorLink takes the Emperor's descriptor from the environment
// (and hides it from the workers), or returns nil.
func openEmperorLink(log *logger.Logger) *emperorLink {
	v := os.Getenv(envEmperorFD)
	if v == "" {
		return nil
	}
	os.Unsetenv(envEmperorFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 0 {
		log.Printf("uwsgi: bad %s=%q: not governed by the Emperor", envEmperorFD, v)
		return nil
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		log.Printf("uwsgi: %s=%d: %v: not governed by the Emperor", envEmperorFD, fd, err)
		return nil
	}
	unix.CloseOnExec(fd) // not for the workers; the master's re-exec keeps it
	announced := os.Getenv(envEmperorAnnounced) == "1"
	os.Unsetenv(envEmperorAnnounced)
	return &emperorLink{log: log, f: os.NewFile(uintptr(fd), "emperor"), fd: fd, announced: announced}
}

func (e *emperorLink) write(b byte) {
	if e == nil {
		return
	}
	if _, err := e.f.Write([]byte{b}); err != nil {
		e.log.Printf("uwsgi: writing to the Emperor: %v", err)
	}
}

// ready tells the Emperor the instance was spawned, accepts and is loyal
// (once per life of the vassal: a reload does not repeat it).
func (e *emperorLink) ready() {
	if e == nil || e.announced {
		return
	}
	e.announced = true
	e.write(vassalSpawned)
	e.write(vassalAccepting)
	e.log.Printf("announcing my loyalty to the Emperor...")
	e.write(vassalLoyal)
}

// Heartbeat sends one heartbeat.
func (e *emperorLink) Heartbeat() { e.write(vassalHeartbeat) }

// Commands reads the Emperor's commands; the channel closes when the
// Emperor is gone. A nil link yields a nil channel (never ready).
func (e *emperorLink) Commands() <-chan byte {
	if e == nil {
		return nil
	}
	c := make(chan byte, 4)
	go func() {
		defer close(c)
		var b [1]byte
		for {
			if n, err := e.f.Read(b[:]); n != 1 || err != nil {
				return
			}
			c <- b[0]
		}
	}()
	return c
}

// execEnv and execFD keep the link across the master's re-exec.
func (e *emperorLink) execEnv() []string {
	if e == nil {
		return nil
	}
	return []string{envEmperorFD + "=" + strconv.Itoa(e.fd), envEmperorAnnounced + "=" + strconv.Itoa(handoff.Bit[int](e.announced))}
}

// envEmperorAnnounced tells the master's next image that the Emperor was
// already told the vassal is loyal.
const envEmperorAnnounced = "UWSGO_EMPEROR_ANNOUNCED"

func (e *emperorLink) execFD() int {
	if e == nil {
		return -1
	}
	return e.fd
}

// HeartbeatTick sends a first heartbeat (the Emperor watches a vassal's
// heartbeats from its first one on) and returns the channel of the next
// ones, every --heartbeat seconds.
func (e *emperorLink) HeartbeatTick(secs int) (<-chan time.Time, func()) {
	if e == nil || secs <= 0 {
		return nil, func() {}
	}
	e.Heartbeat()
	t := time.NewTicker(time.Duration(secs) * time.Second)
	return t.C, t.Stop
}

// ObeyEmperorAlone serves the Emperor's commands in a process serving
// alone: stops become this process's own SIGINT / SIGTERM; a reload needs
// a master.
func ObeyEmperorAlone(cmds <-chan byte, log *logger.Logger) {
	if cmds == nil {
		return
	}
	for b := range cmds {
		switch b {
		case emperorStop:
			_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
			return
		case emperorGracefulStop:
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			return
		case emperorReload:
			log.Printf("received message %d from emperor: a reload needs --master; ignored", b)
		}
	}
	log.Printf("lost connection with my emperor !!!")
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
}
