package handoff

import (
	"io"
	"strconv"
	"strings"
)

// The control channel is a socketpair between the master and each worker
// (the worker's descriptor is Layout.Control). Each message is one line of
// text; the format is fixed here alone, and kept as it was so that a
// master and a worker of different binaries (a binary upgrade rolls the
// workers from the new binary while the old master still runs) agree.

// MsgKind says what a control message asks.
type MsgKind uint8

// The control messages. Worker to master: MsgReady .. MsgFileMon; master
// to worker: MsgSig and MsgResend.
const (
	MsgNone     MsgKind = iota // not a message (unknown or malformed line)
	MsgReady                   // "ready": the worker serves
	MsgRecycle                 // "recycle": the worker asks to be replaced
	MsgRegister                // "register N TARGET": a signal handler's target
	MsgSignal                  // "signal N": route signal N
	MsgTimer                   // "timer N SECONDS ITERATIONS"
	MsgCron                    // "cron N MIN HOUR DAY MONTH WEEKDAY"
	MsgFileMon                 // "filemon N PATH"
	MsgSig                     // "sig N": run signal N's handler (master to worker)
	MsgResend                  // "resend": send the registrations again (a new master image)
)

var msgNames = [...]string{MsgReady: "ready", MsgRecycle: "recycle", MsgRegister: "register", MsgSignal: "signal",
	MsgTimer: "timer", MsgCron: "cron", MsgFileMon: "filemon", MsgSig: "sig", MsgResend: "resend"}

// Msg is one control message. Only the fields of its Kind are meaningful.
type Msg struct {
	Kind   MsgKind
	Signum uint8
	Target string // MsgRegister
	// MsgTimer: every Seconds, Iterations times (0: for ever).
	Seconds, Iterations int
	Cron                [5]int // MsgCron: minute, hour, day, month, weekday (-1: any)
	Path                string // MsgFileMon
}

// Line is m's text, without the newline that ends it on the wire.
func (m Msg) Line() string {
	if m.Kind == MsgNone || int(m.Kind) >= len(msgNames) {
		return ""
	}
	b := []byte(msgNames[m.Kind])
	if m.Kind == MsgReady || m.Kind == MsgRecycle || m.Kind == MsgResend {
		return string(b)
	}
	b = strconv.AppendUint(append(b, ' '), uint64(m.Signum), 10)
	switch m.Kind {
	case MsgRegister:
		b = append(append(b, ' '), m.Target...)
	case MsgTimer:
		b = strconv.AppendInt(append(b, ' '), int64(m.Seconds), 10)
		b = strconv.AppendInt(append(b, ' '), int64(m.Iterations), 10)
	case MsgCron:
		for _, v := range m.Cron {
			b = strconv.AppendInt(append(b, ' '), int64(v), 10)
		}
	case MsgFileMon:
		b = append(append(b, ' '), m.Path...)
	}
	return string(b)
}

// ParseMsg reads one control line (without its newline). A line it does
// not know, or a malformed one, gives a Msg of kind MsgNone: the reader
// ignores it, as both sides always did.
func ParseMsg(line string) Msg {
	switch line {
	case "ready":
		return Msg{Kind: MsgReady}
	case "recycle":
		return Msg{Kind: MsgRecycle}
	case "resend":
		return Msg{Kind: MsgResend}
	}
	if n, ok := strings.CutPrefix(line, "sig "); ok {
		if v, err := strconv.Atoi(n); err == nil && v >= 0 && v < 256 {
			return Msg{Kind: MsgSig, Signum: uint8(v)}
		}
		return Msg{}
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return Msg{}
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 || n > 255 {
		return Msg{}
	}
	m := Msg{Signum: uint8(n)}
	switch f[0] {
	case "register":
		if len(f) != 3 {
			return Msg{}
		}
		m.Kind, m.Target = MsgRegister, f[2]
	case "signal":
		m.Kind = MsgSignal
	case "timer":
		if len(f) != 4 {
			return Msg{}
		}
		m.Kind = MsgTimer
		m.Seconds, _ = strconv.Atoi(f[2])
		m.Iterations, _ = strconv.Atoi(f[3])
	case "filemon":
		m.Kind = MsgFileMon
		m.Path = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, f[0]), " "+f[1]))
	case "cron":
		if len(f) != 7 {
			return Msg{}
		}
		m.Kind = MsgCron
		for i := range m.Cron {
			m.Cron[i], _ = strconv.Atoi(f[2+i])
		}
	default:
		return Msg{}
	}
	return m
}

// Wire is m as it goes on a control channel: its line and a newline.
func (m Msg) Wire() []byte { return []byte(m.Line() + "\n") }

// Send writes m to a control channel, as one line.
func Send(w io.Writer, m Msg) error {
	_, err := w.Write(m.Wire())
	return err
}
