package handoff

import (
	"strings"
	"testing"
)

// The lines both sides have always written parse to the messages they
// mean, and write back the same.
func TestMsgLines(t *testing.T) {
	for line, want := range map[string]Msg{
		"ready":               {Kind: MsgReady},
		"recycle":             {Kind: MsgRecycle},
		"resend":              {Kind: MsgResend},
		"sig 7":               {Kind: MsgSig, Signum: 7},
		"register 3 workers":  {Kind: MsgRegister, Signum: 3, Target: "workers"},
		"signal 255":          {Kind: MsgSignal, Signum: 255},
		"timer 9 2 0":         {Kind: MsgTimer, Signum: 9, Seconds: 2, Iterations: 0},
		"cron 4 -1 3 -1 -1 5": {Kind: MsgCron, Signum: 4, Cron: [5]int{-1, 3, -1, -1, 5}},
		"filemon 1 /tmp/a b":  {Kind: MsgFileMon, Signum: 1, Path: "/tmp/a b"},
	} {
		if got := ParseMsg(line); got != want {
			t.Errorf("%q: %+v, want %+v", line, got, want)
		}
		if got := want.Line(); got != line {
			t.Errorf("%+v: %q, want %q", want, got, line)
		}
	}
	for _, bad := range []string{"", "sig", "sig 256", "sig x", "register 3", "timer 1 2", "cron 1 2 3", "signal -1", "hello 1", "signal"} {
		if got := ParseMsg(bad); got.Kind != MsgNone {
			t.Errorf("%q: %+v, want none", bad, got)
		}
	}
}

// Whatever a peer sends, a line that parses writes back as a line that
// parses to the same message.
func FuzzMsg(f *testing.F) {
	for _, s := range []string{"ready", "sig 3", "register 3 worker2", "timer 1 5 2", "cron 1 -1 -1 -1 -1 -1", "filemon 2 /x", "filemon  2 /x", "signal 9 extra"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n") {
			return
		}
		m := ParseMsg(line)
		if m.Kind == MsgNone {
			return
		}
		again := ParseMsg(m.Line())
		if again != m {
			t.Fatalf("%q -> %+v -> %q -> %+v", line, m, m.Line(), again)
		}
	})
}
