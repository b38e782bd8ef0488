package master

import (
	"errors"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"golang.org/x/sys/unix"
)

// The master's writes to a worker's control channel never block: a worker
// that does not read its end (stopped, stuck in a handler, not started yet)
// fills the socket, and a blocking write there would stop supervision of the
// whole instance. As uWSGI's master, which writes a worker's signal socket
// non-blocking, a full channel drops the message with one log line.
//
// What dropping means, per message kind:
//   - sig: the signal is lost (uWSGI's "SIGNAL QUEUE IS FULL" line and its
//     "could not deliver" one, as one line).
//   - resend (a new master image asks for the signal registrations): it is
//     essential, so it is kept and the master tries again on every tick until
//     the worker reads.
//
// Stops and reloads are Unix signals (SIGTERM, SIGINT, SIGHUP), never
// control messages: a worker that does not read is covered by the mercy
// timer and SIGKILL.

// sendSignal writes "sig N" to c, or drops it with uWSGI's line when the
// channel is full.
func (m *master) sendSignal(c *child, signum uint8) {
	err := m.sendCtrl(c, handoff.Msg{Kind: handoff.MsgSig, Signum: signum}, false)
	switch {
	case errors.Is(err, handoff.ErrFull):
		m.log.Printf("*** SIGNAL QUEUE IS FULL: buffer size %d bytes (you can tune it with --signal-bufsize) *** could not deliver signal %d to worker %d", handoff.SendBuffer(c.ctrl), signum, c.id)
	case err != nil:
		m.log.Printf("could not deliver signal %d to worker %d: %v", signum, c.id, err)
	}
}

// sendCtrl writes msg to c's control channel without blocking. A message
// that must not be lost (keep) waits in c.ctrlOwed when the channel is
// full; one that may be lost returns handoff.ErrFull. Bytes already owed go
// first, so lines never interleave.
func (m *master) sendCtrl(c *child, msg handoff.Msg, keep bool) error {
	if c.ctrl == nil {
		return nil
	}
	if err := flushCtrl(c); err != nil && !errors.Is(err, handoff.ErrFull) {
		return err
	}
	line := msg.Wire()
	if len(c.ctrlOwed) > 0 {
		if keep {
			c.ctrlOwed = append(c.ctrlOwed, line...)
			return nil
		}
		return handoff.ErrFull
	}
	n, err := handoff.WriteNoWait(c.ctrl, line)
	switch {
	case err == nil && n == len(line):
		return nil
	case err != nil && !errors.Is(err, handoff.ErrFull):
		return err
	case n > 0 || keep: // a part went: the rest is owed, or the next line would be garbage
		c.ctrlOwed = append(c.ctrlOwed, line[n:]...)
		return nil
	}
	return handoff.ErrFull
}

// flushCtrl writes what c is owed, as far as its channel takes it.
func flushCtrl(c *child) error {
	if len(c.ctrlOwed) == 0 || c.ctrl == nil {
		return nil
	}
	n, err := handoff.WriteNoWait(c.ctrl, c.ctrlOwed)
	c.ctrlOwed = c.ctrlOwed[n:]
	if len(c.ctrlOwed) == 0 {
		c.ctrlOwed = nil
	}
	return err
}

// flushOwed retries, once per master cycle, what workers are owed.
func (m *master) flushOwed() {
	for _, c := range m.children {
		if err := flushCtrl(c); err != nil && !errors.Is(err, handoff.ErrFull) {
			m.log.Printf("worker %d (pid: %d) control channel: %v", c.id, c.pid, err)
			c.ctrlOwed = nil
		}
	}
}

// sizeCtrlPair sets both ends' socket buffers to --signal-bufsize bytes when
// the option is given, as uWSGI sizes a worker's signal socketpair (the
// kernel's defaults otherwise; it doubles the value and has a floor). The
// worker's queue behind its end has that many places as well.
func (m *master) sizeCtrlPair(pair [2]int) {
	if !m.cfg.IsSet("signal-bufsize") {
		return
	}
	size := m.cfg.Int("signal-bufsize")
	for _, fd := range pair {
		for _, opt := range []int{unix.SO_SNDBUF, unix.SO_RCVBUF} {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, size); err != nil {
				m.log.Printf("setsockopt(): %v", err)
			}
		}
	}
}
