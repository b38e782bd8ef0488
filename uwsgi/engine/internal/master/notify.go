package master

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"golang.org/x/sys/unix"
)

// The service manager's side of the instance's life: systemd's sd_notify
// protocol (sd_notify(3)) when NOTIFY_SOCKET is set, and the uWSGI
// Emperor's vassal protocol when UWSGI_EMPEROR_FD is (emperor_vassal.go).
//
// systemd gets one datagram per event, as uWSGI words its STATUS lines:
//
//	start            STATUS=initializing uWSGI            (and MAINPID= after --daemonize)
//	workers accept   STATUS=uWSGI is ready, READY=1
//	graceful reload  RELOADING=1, MONOTONIC_USEC=, STATUS=uWSGI is reloading (WHY)
//	reload done      STATUS=uWSGI is ready, READY=1       (also after a failed reload: the old workers serve)
//	shutdown         STOPPING=1, STATUS=uWSGI is stopping
//	master loop      WATCHDOG=1 every WATCHDOG_USEC/2 when WATCHDOG_USEC is set
//
// A binary upgrade is a reload whose READY=1 comes from the new master
// image (the same PID). The variables are removed from the environment the
// workers and the app see; the master carries them across its re-exec.

// Environment variables of sd_notify(3) and sd_watchdog_enabled(3).
const (
	envNotifySocket = "NOTIFY_SOCKET"
	envWatchdogUsec = "WATCHDOG_USEC"
	envWatchdogPid  = "WATCHDOG_PID"
)

// Notifier sends the instance's life events to its service manager(s).
// A nil *notifier or one without a peer sends nothing.
type Notifier struct {
	log      *logger.Logger
	Sd       *net.UnixConn // systemd's notify socket, or nil
	sdAddr   string
	sdEnv    []string      // NOTIFY_SOCKET and WATCHDOG_* as found, for the re-exec
	watchdog time.Duration // WATCHDOG=1 period, 0 = off
	emperor  *emperorLink  // the uWSGI Emperor, or nil
	ready    bool          // READY=1 sent since the last RELOADING=1
}

// NewNotifier reads (and removes) the service manager's variables.
func NewNotifier(log *logger.Logger) *Notifier {
	n := &Notifier{log: log}
	if addr := os.Getenv(envNotifySocket); addr != "" {
		n.sdEnv = append(n.sdEnv, envNotifySocket+"="+addr)
		for _, k := range []string{envWatchdogUsec, envWatchdogPid} {
			if v, ok := os.LookupEnv(k); ok {
				n.sdEnv = append(n.sdEnv, k+"="+v)
			}
		}
		n.watchdog = watchdogPeriod(os.Getenv(envWatchdogUsec), os.Getenv(envWatchdogPid))
		conn, err := dialNotify(addr)
		if err != nil {
			log.Printf("uwsgi: %s=%s: %v; systemd will not hear from this instance", envNotifySocket, addr, err)
		} else {
			n.Sd, n.sdAddr = conn, addr
		}
	}
	for _, k := range []string{envNotifySocket, envWatchdogUsec, envWatchdogPid} {
		os.Unsetenv(k)
	}
	n.emperor = openEmperorLink(log)
	return n
}

// dialNotify connects a datagram socket to addr: a path, or an abstract
// name written "@name" (sd_notify(3)).
func dialNotify(addr string) (*net.UnixConn, error) {
	if !strings.HasPrefix(addr, "/") && !strings.HasPrefix(addr, "@") {
		return nil, fmt.Errorf("not a unix socket address")
	}
	return net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
}

// watchdogPeriod is half of WATCHDOG_USEC (systemd's advice), or 0 when the
// watchdog is off or meant for another process.
func watchdogPeriod(usec, pid string) time.Duration {
	if pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	n, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || n == 0 {
		return 0
	}
	return time.Duration(n) * time.Microsecond / 2
}

// Send writes one datagram of newline-separated assignments to systemd.
func (n *Notifier) Send(lines ...string) {
	if n == nil || n.Sd == nil {
		return
	}
	msg := strings.Join(lines, "\n") + "\n"
	if _, err := n.Sd.Write([]byte(msg)); err != nil {
		n.log.Printf("uwsgi: sd_notify to %s: %v", n.sdAddr, err)
	}
}

// Starting announces the start of the instance.
func (n *Notifier) Starting() {
	lines := []string{"STATUS=initializing uWSGI"}
	if process.Daemonized {
		lines = append(lines, "MAINPID="+strconv.Itoa(os.Getpid()))
	}
	n.Send(lines...)
}

// ReadyNow announces that the workers accept (at start or after a reload).
func (n *Notifier) ReadyNow(status string) {
	if n == nil || n.ready {
		return
	}
	n.ready = true
	if status == "" {
		status = "uWSGI is ready"
	}
	n.Send("STATUS="+status, "READY=1")
	n.emperor.ready()
}

// reloading announces a graceful reload (or binary upgrade) starting.
func (n *Notifier) reloading(why string) {
	if n == nil {
		return
	}
	n.ready = false
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	n.Send("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatInt(ts.Nano()/1000, 10), "STATUS=uWSGI is reloading ("+why+")")
}

// Stopping announces the shutdown.
func (n *Notifier) Stopping() {
	n.Send("STOPPING=1", "STATUS=uWSGI is stopping")
}

// Ping tells the watchdog the master loop is alive.
func (n *Notifier) Ping() { n.Send("WATCHDOG=1") }

// WatchdogTick is the channel of the watchdog pings (nil when off).
func (n *Notifier) WatchdogTick() (<-chan time.Time, func()) {
	if n == nil || n.Sd == nil || n.watchdog <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(n.watchdog)
	return t.C, t.Stop
}

// Vassal is the link to the uWSGI Emperor, or nil.
func (n *Notifier) Vassal() *emperorLink {
	if n == nil {
		return nil
	}
	return n.emperor
}

// execEnv is what the master's next image needs to find its managers again.
func (n *Notifier) execEnv() []string {
	if n == nil {
		return nil
	}
	return append(append([]string(nil), n.sdEnv...), n.emperor.execEnv()...)
}
