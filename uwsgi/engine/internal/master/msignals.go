package master

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/process"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
)

// masterSignals is the master's half of the signal framework: the targets
// workers registered, the timers and crons, and the routing.
type masterSignals struct {
	targets [256]string // "" = not registered
	timers  []*sigTimer
	crons   []*sigCron
	rr      int // round robin for the "worker" target
}

type sigTimer struct {
	signum     uint8
	every      time.Duration
	next       time.Time
	iterations int // 0 = forever
	fired      int
}

type sigCron struct {
	signum  int // -1 for a command cron
	command string
	fields  [5]int // minute, hour, day, month, weekday
	last    time.Time
	unique  bool          // --unique-cron: not while the previous run lives
	running *exec.Cmd     // the command's last run
	done    chan struct{} // closed when running ended
}

// onCtrl handles one message a worker sent.
func (m *master) onCtrl(c *child, msg handoff.Msg) {
	n := int(msg.Signum)
	switch msg.Kind {
	case handoff.MsgRegister:
		if m.sig.targets[n] == "" {
			m.sig.targets[n] = msg.Target
			m.log.Printf("[uwsgi-signal] signum %d registered (wid: %d modifier1: 11 target: %s)", n, c.id, msg.Target)
		}
	case handoff.MsgSignal:
		m.routeSignal(msg.Signum)
	case handoff.MsgTimer:
		m.addTimer(msg.Signum, msg.Seconds, msg.Iterations)
	case handoff.MsgFileMon:
		if err := m.watchPath(msg.Path, &fsAction{signum: n}); err != nil {
			m.log.Printf("%v", err)
		}
	case handoff.MsgCron:
		m.addCron(&sigCron{signum: n, fields: msg.Cron})
	}
}

// addTimer keeps one timer per (signal, period, iterations), however many
// workers registered it (uWSGI adds one per call: a difference, documented).
func (m *master) addTimer(signum uint8, secs, iterations int) {
	every := time.Duration(max(secs, 1)) * time.Second
	for _, t := range m.sig.timers {
		if t.signum == signum && t.every == every && t.iterations == iterations {
			return
		}
	}
	m.sig.timers = append(m.sig.timers, &sigTimer{signum: signum, every: every, next: time.Now().Add(every), iterations: iterations})
	m.log.Printf("[uwsgi-signal] timer: signal %d every %v", signum, every)
}

func (m *master) addCron(c *sigCron) {
	for _, o := range m.sig.crons {
		if o.signum == c.signum && o.command == c.command && o.fields == c.fields {
			return
		}
	}
	m.sig.crons = append(m.sig.crons, c)
}

// routeSignal delivers signum to its registered target. A worker still
// starting (spawned, not ready yet) gets its signals too: they wait in its
// control socket until it reads it, as uWSGI's wait in a worker's signal
// socket, and are dropped with a log line once that socket is full
// (sendSignal); one that is ready takes them first for its worker id.
func (m *master) routeSignal(signum uint8) {
	ready, starting := m.signalReceivers()
	live := append(ready, starting...)
	if len(live) == 0 {
		m.log.Printf("could not deliver signal %d: no worker is running", signum)
		return
	}
	target := m.sig.targets[signum]
	send := func(c *child) { m.sendSignal(c, signum) }
	switch {
	case target == "workers" || target == "active-workers":
		for _, c := range live {
			send(c)
		}
	case strings.HasPrefix(target, "worker") && target != "worker" && target != "worker0":
		id, _ := strconv.Atoi(strings.TrimPrefix(target, "worker"))
		for _, c := range live {
			if c.id == id {
				send(c)
				return
			}
		}
		m.log.Printf("could not deliver signal %d to worker %d", signum, id)
	default: // "", "worker", "worker0": one worker, in turn, a ready one if any
		if len(ready) > 0 {
			live = ready
		}
		m.sig.rr++
		send(live[m.sig.rr%len(live)])
	}
}

// signalReceivers is one process per worker id that is not retiring: the
// ready one, or else the newest one still starting; each list in worker id
// order.
func (m *master) signalReceivers() (ready, starting []*child) {
	pending := map[int]*child{}
	for _, c := range m.children {
		switch {
		case c.retiring:
		case c.ready:
			ready = append(ready, c)
		case pending[c.id] == nil || c.gen > pending[c.id].gen:
			pending[c.id] = c
		}
	}
	for id, c := range pending {
		if !slices.ContainsFunc(ready, func(r *child) bool { return r.id == id }) {
			starting = append(starting, c)
		}
	}
	// by worker id, so that the "worker" target's round robin takes the
	// workers in turn (m.children is a map: its order changes every walk)
	byID := func(a, b *child) int { return a.id - b.id }
	slices.SortFunc(ready, byID)
	slices.SortFunc(starting, byID)
	return ready, starting
}

// signalTick fires due timers and crons; called once per master cycle.
func (m *master) signalTick(now time.Time) {
	for _, t := range m.sig.timers {
		if t.iterations > 0 && t.fired >= t.iterations || now.Before(t.next) {
			continue
		}
		t.fired++
		t.next = t.next.Add(t.every)
		if t.next.Before(now) {
			t.next = now.Add(t.every)
		}
		m.routeSignal(t.signum)
	}
	for _, c := range m.sig.crons {
		if !cronMatches(c.fields, now) || now.Sub(c.last) < time.Minute {
			continue
		}
		c.last = now
		if c.signum >= 0 {
			m.routeSignal(uint8(c.signum))
			continue
		}
		if c.unique && c.done != nil {
			select {
			case <-c.done:
			default:
				m.log.Printf("[uwsgi-cron] %q still running, skipped (unique cron)", c.command)
				continue
			}
		}
		cmd := exec.Command("/bin/sh", "-c", c.command)
		cmd.Stdout, cmd.Stderr = m.log.Output(), m.log.Output()
		if err := process.StartCmd(cmd); err != nil {
			m.log.Printf("[uwsgi-cron] %q: %v", c.command, err)
			continue
		}
		m.log.Printf("[uwsgi-cron] running %q (pid %d)", c.command, cmd.Process.Pid)
		done := make(chan struct{})
		c.running, c.done = cmd, done
		go func() { _ = process.WaitCmd(cmd); close(done) }()
	}
}

// cronMatches applies uWSGI's rules: -N means every N (-1 any); day and
// weekday are OR-ed when both are set, like crontab; weekday 7 is Sunday.
func cronMatches(f [5]int, t time.Time) bool {
	match := func(field, v int) bool {
		if field < 0 {
			return v%(-field) == 0
		}
		return field == v
	}
	wd := f[4]
	if wd == 7 {
		wd = 0
	}
	if !match(f[0], t.Minute()) || !match(f[1], t.Hour()) || !match(f[3], int(t.Month())) {
		return false
	}
	if f[2] >= 0 && wd >= 0 {
		return match(f[2], t.Day()) || match(wd, int(t.Weekday()))
	}
	return match(f[2], t.Day()) && match(wd, int(t.Weekday()))
}

// configureSignals reads --timer, --rbtimer and --cron.
func (m *master) configureSignals() error {
	for _, spec := range append(m.cfg.Strings("timer"), m.cfg.Strings("rbtimer")...) {
		f := strings.Fields(spec)
		n, err1 := strconv.Atoi(safeIndex(f, 0))
		secs, err2 := strconv.Atoi(safeIndex(f, 1))
		if len(f) != 2 || err1 != nil || err2 != nil || n < 0 || n > 255 || secs < 1 {
			return fmt.Errorf("uwsgi: invalid signal timer syntax %q, must be: <signal> <seconds>", spec)
		}
		m.addTimer(uint8(n), secs, 0)
	}
	for _, opt := range []string{"cron", "unique-cron"} {
		for _, spec := range m.cfg.Strings(opt) {
			f := strings.Fields(spec)
			if len(f) < 6 {
				return fmt.Errorf("uwsgi: invalid cron syntax %q, must be: <minute> <hour> <day> <month> <weekday> <command>", spec)
			}
			c := &sigCron{signum: -1, command: strings.Join(f[5:], " "), unique: opt == "unique-cron"}
			for i := range c.fields {
				v, err := strconv.Atoi(f[i])
				if err != nil {
					return fmt.Errorf("uwsgi: invalid cron field %q in %q", f[i], spec)
				}
				c.fields[i] = v
			}
			m.addCron(c)
		}
	}
	for _, spec := range m.cfg.Strings("cron2") {
		c, err := parseCron2(spec)
		if err != nil {
			return err
		}
		m.addCron(c)
	}
	return m.configureTouchSignals()
}

// parseCron2 reads --cron2 "minute=M,hour=H,day=D,month=MO,week=W,unique=1 COMMAND"
// (absent fields mean any).
func parseCron2(spec string) (*sigCron, error) {
	kv, command, ok := strings.Cut(strings.TrimSpace(spec), " ")
	if !ok || strings.TrimSpace(command) == "" {
		return nil, fmt.Errorf("uwsgi: invalid --cron2 %q, must be: key=value,... <command>", spec)
	}
	c := &sigCron{signum: -1, command: strings.TrimSpace(command), fields: [5]int{-1, -1, -1, -1, -1}}
	for _, item := range strings.Split(kv, ",") {
		k, v, _ := strings.Cut(item, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: invalid --cron2 field %q", item)
		}
		switch k {
		case "minute":
			c.fields[0] = n
		case "hour":
			c.fields[1] = n
		case "day":
			c.fields[2] = n
		case "month":
			c.fields[3] = n
		case "week", "weekday":
			c.fields[4] = n
		case "unique":
			c.unique = n != 0
		case "harakiri", "legion":
		default:
			return nil, fmt.Errorf("uwsgi: unknown --cron2 key %q", k)
		}
	}
	return c, nil
}

// configureTouchSignals reads --touch-signal "FILE SIGNUM" (polled every
// master cycle, as --touch-reload).
func (m *master) configureTouchSignals() error {
	for _, spec := range m.cfg.Strings("touch-signal") {
		path, n, err := pathSignal("touch-signal", "file", spec)
		if err != nil {
			return err
		}
		m.touchSignals = append(m.touchSignals, touchSignal{path: path, signum: n})
		m.touch[path] = socket.StatID(path)
	}
	return nil
}

// pathSignal reads an option value "PATH SIGNUM" (--touch-signal,
// --fs-signal): the path may hold spaces, the signal number comes last.
func pathSignal(opt, what, spec string) (string, uint8, error) {
	t := strings.TrimSpace(spec)
	i := strings.LastIndexByte(t, ' ')
	if i < 0 {
		return "", 0, fmt.Errorf("uwsgi: invalid --%s %q, must be: <%s> <signal>", opt, spec, what)
	}
	n, err := strconv.Atoi(strings.TrimSpace(t[i+1:]))
	if err != nil || n < 0 || n > 255 {
		return "", 0, fmt.Errorf("uwsgi: invalid --%s %q, must be: <%s> <signal>", opt, spec, what)
	}
	return strings.TrimSpace(t[:i]), uint8(n), nil
}

type touchSignal struct {
	path   string
	signum uint8
}

func safeIndex(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
