package master

import (
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
)

// busyness is the state of uWSGI's busyness algorithm: every
// cheaper-overload seconds it averages the share of that period the
// running workers spent in requests; above max it starts cheaper-step
// workers, below min (for multiplier periods in a row) it stops one.
// A listen queue longer than backlog-alert, or non-empty for
// backlog-nonzero seconds, starts "emergency" workers at once, which are
// stopped again after only backlog-multiplier periods.
type busyness struct {
	lastValues  map[int]uint64 // running time (µs) at the last check, by worker id
	wasBusy     map[int]int    // cycles seen busy since the last check
	tcheck      time.Time
	lastCheaped time.Time
	nextCheap   time.Time
	multi       uint64 // current multiplier
	lastAction  int    // 1 spawned, 2 stopped
	tolerance   int
	emergency   int
	nonzero     bool
	nonzeroAt   time.Time
}

// run is one master cycle of the algorithm: >0 start up to that many
// workers, -1 stop one, 0 nothing.
func (b *busyness) run(m *master, active []*child, now time.Time) int {
	o := m.opts.Busyness
	if b.lastValues == nil {
		b.lastValues, b.wasBusy, b.multi, b.tcheck = map[int]uint64{}, map[int]int{}, o.Multiplier, now
		b.setNextCheap(m, now)
	}
	period := time.Duration(m.opts.CheaperOverload) * time.Second
	for _, c := range active {
		if m.busy(c) {
			b.wasBusy[c.id]++
		}
	}
	backlog := int(m.listenBacklog())
	canSpawn := len(active) < m.opts.Processes
	if now.Sub(b.tcheck) >= period {
		b.tcheck = now
		return b.check(m, active, now, period, backlog, canSpawn)
	}
	switch {
	case canSpawn && backlog > o.BacklogAlert:
		return b.spawnEmergency(m, len(active), backlog, now)
	case backlog > 0:
		if !b.nonzero {
			b.nonzero, b.nonzeroAt = true, now
		} else if canSpawn && uint64(now.Sub(b.nonzeroAt)/time.Second) >= o.BacklogNonzero {
			b.nonzeroAt = now
			return b.spawnEmergency(m, len(active), backlog, now)
		}
	default:
		b.nonzero = false
	}
	return 0
}

// check is the periodic busyness evaluation.
func (b *busyness) check(m *master, active []*child, now time.Time, period time.Duration, backlog int, canSpawn bool) int {
	o := m.opts.Busyness
	var total uint64
	for _, c := range active {
		rt := m.board.Worker(c.slot).RunningTime.Load()
		last, seen := b.lastValues[c.id]
		if !seen || rt < last {
			last = rt // a new worker: nothing measured yet
		}
		pct := (rt - last) * 100 / uint64(period.Microseconds())
		if pct > 100 || rt == last && b.wasBusy[c.id] > 0 {
			pct = 100 // requests longer than the period
		}
		b.wasBusy[c.id] = 0
		b.lastValues[c.id] = rt
		total += pct
	}
	avg := uint64(0)
	if len(active) > 0 {
		avg = total / uint64(len(active))
	}
	if o.Verbose {
		m.log.Printf("[busyness] %ds average busyness of %d worker(s) is at %d%%", m.opts.CheaperOverload, len(active), avg)
	}
	switch {
	case avg > o.Max:
		b.tolerance = 0
		if !canSpawn {
			return 0
		}
		b.lastAction = 1
		if uint64(now.Sub(b.lastCheaped)/period) <= b.multi {
			b.multi += o.Penalty // it came back soon after being stopped
		} else if b.multi > o.Multiplier {
			b.multi--
		}
		b.setNextCheap(m, now)
		n := min(m.opts.CheaperStep, m.opts.Processes-len(active))
		m.log.Printf("[busyness] %ds average busyness is at %d%%, will spawn %d new worker(s)", m.opts.CheaperOverload, avg, n)
		return n
	case canSpawn && backlog > o.BacklogAlert:
		return b.spawnEmergency(m, len(active), backlog, now)
	case avg < o.Min:
		if len(active) <= 1 {
			return 0
		}
		b.tolerance = 0
		if len(active) <= m.opts.Cheaper || now.Before(b.nextCheap) {
			return 0
		}
		if b.lastAction == 2 && b.multi > o.Multiplier {
			b.multi--
		}
		b.setNextCheap(m, now)
		b.lastCheaped, b.lastAction = now, 2
		if b.emergency > 0 {
			b.emergency--
		}
		m.log.Printf("[busyness] %ds average busyness is at %d%%, cheap one of %d running workers", m.opts.CheaperOverload, avg, len(active))
		return -1
	default:
		if len(active) <= 1 {
			return 0
		}
		if b.emergency > 0 {
			b.emergency--
		}
		if b.tolerance++; b.tolerance >= 3 {
			b.setNextCheap(m, now) // steady load: start counting idle periods again
		} else {
			b.nextCheap = b.nextCheap.Add(period) // this period was not idle
		}
	}
	return 0
}

// spawnEmergency starts backlog-step workers because of the listen queue.
func (b *busyness) spawnEmergency(m *master, running, backlog int, now time.Time) int {
	b.multi, b.lastAction = m.opts.Busyness.Multiplier, 1
	n := min(m.opts.Busyness.BacklogStep, m.opts.Processes-running)
	b.emergency += n
	b.setNextCheap(m, now)
	m.log.Printf("[busyness] %d requests in listen queue, spawning %d emergency worker(s) (%d running)", backlog, n, b.emergency)
	return n
}

// setNextCheap sets when a worker may be stopped: after multiplier
// periods, or backlog-multiplier periods while emergency workers run.
func (b *busyness) setNextCheap(m *master, now time.Time) {
	mult := b.multi
	if b.emergency > 0 {
		mult = m.opts.Busyness.BacklogMultiplier
	}
	b.nextCheap = now.Add(time.Duration(uint64(m.opts.CheaperOverload)*mult) * time.Second)
}

// listenBacklog is uWSGI's "backlog" for uwsgo: the longest accept queue
// over the listening sockets plus the requests the running workers have
// accepted and that wait for a free core (a uwsgo worker accepts before it
// has a core, so under load the queue is in the workers, not the kernel).
func (m *master) listenBacklog() uint64 {
	var waiting uint64
	for _, c := range m.children {
		if c.ready && !c.retiring {
			waiting += m.board.Worker(c.slot).Queued.Load()
		}
	}
	var q uint64
	for _, so := range m.sockets {
		n, _ := socket.ListenQueue(so.Listener, 0)
		q = max(q, n)
	}
	return q + waiting
}
