package engine

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
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
}

// onCtrl handles one line a worker sent.
func (m *master) onCtrl(c *child, line string) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 || n > 255 {
		return
	}
	switch f[0] {
	case "register":
		if len(f) == 3 && m.sig.targets[n] == "" {
			m.sig.targets[n] = f[2]
			m.log.Printf("[uwsgi-signal] signum %d registered (wid: %d modifier1: 11 target: %s)", n, c.id, f[2])
		}
	case "signal":
		m.routeSignal(uint8(n))
	case "timer":
		if len(f) == 4 {
			secs, _ := strconv.Atoi(f[2])
			iters, _ := strconv.Atoi(f[3])
			m.addTimer(uint8(n), secs, iters)
		}
	case "cron":
		if len(f) == 7 {
			var fields [5]int
			for i := range fields {
				fields[i], _ = strconv.Atoi(f[2+i])
			}
			m.addCron(&sigCron{signum: n, fields: fields})
		}
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

// routeSignal delivers signum to its registered target.
func (m *master) routeSignal(signum uint8) {
	var live []*child
	for _, c := range m.children {
		if c.ready && !c.retiring {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		m.log.Printf("could not deliver signal %d: no worker is running", signum)
		return
	}
	target := m.sig.targets[signum]
	send := func(c *child) { _, _ = c.ctrl.Write([]byte(fmt.Sprintf("sig %d\n", signum))) }
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
	default: // "", "worker", "worker0": one worker, in turn
		m.sig.rr++
		send(live[m.sig.rr%len(live)])
	}
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
		cmd := exec.Command("/bin/sh", "-c", c.command)
		cmd.Stdout, cmd.Stderr = m.log.Output(), m.log.Output()
		if err := cmd.Start(); err != nil {
			m.log.Printf("[uwsgi-cron] %q: %v", c.command, err)
			continue
		}
		m.log.Printf("[uwsgi-cron] running %q (pid %d)", c.command, cmd.Process.Pid)
		go cmd.Wait()
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
	for _, spec := range m.cfg.Strings("cron") {
		f := strings.Fields(spec)
		if len(f) < 6 {
			return fmt.Errorf("uwsgi: invalid cron syntax %q, must be: <minute> <hour> <day> <month> <weekday> <command>", spec)
		}
		c := &sigCron{signum: -1, command: strings.Join(f[5:], " ")}
		for i := range c.fields {
			v, err := strconv.Atoi(f[i])
			if err != nil {
				return fmt.Errorf("uwsgi: invalid cron field %q in %q", f[i], spec)
			}
			c.fields[i] = v
		}
		m.addCron(c)
	}
	return nil
}

func safeIndex(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
