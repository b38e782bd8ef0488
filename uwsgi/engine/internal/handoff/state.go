package handoff

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MasterState is what a master image hands to the image replacing it in
// a binary upgrade (re-exec in place), in EnvMasterState: the descriptors
// it keeps open across execve and the workers it leaves running. Encode
// writes it and DecodeMasterState reads it; nothing else knows the format
// ("gen=G;sockets=FD,..;board=FD;caches=FD,..[;logpipes=R,W,R,W];socklist=..[;tls=FD];workers=W,..").
type MasterState struct {
	Gen        uint64       // the generation serving
	Sockets    []int        // the listen sockets' descriptors
	SocketList []SocketSpec // what each socket is (nil: from the configuration, an older master's state)
	Board      int          // the scoreboard's memfd
	Caches     []int        // the caches' memfds, in configuration order
	// LogPipes are the log master's pipes: server read, server write,
	// request read, request write (-1: none); nil without a log master.
	LogPipes []int
	TLS      int // the TLS bundle's memfd, -1 for none
	Workers  []WorkerState
}

// WorkerState is one worker a master image leaves to the next.
type WorkerState struct {
	ID, Slot        int
	Gen             uint64
	PID, Ctrl       int // Ctrl: the master's end of its control channel
	Ready, Retiring bool
}

// Encode is s as EnvMasterState's value.
func (s *MasterState) Encode() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gen=%d;sockets=%s;board=%d;caches=%s", s.Gen, joinInts(s.Sockets), s.Board, joinInts(s.Caches))
	if s.LogPipes != nil {
		b.WriteString(";logpipes=" + joinInts(s.LogPipes))
	}
	b.WriteString(";socklist=" + EncodeSockets(s.SocketList))
	if s.TLS >= 0 {
		fmt.Fprintf(&b, ";tls=%d", s.TLS)
	}
	b.WriteString(";workers=")
	for i, w := range s.Workers {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d:%d:%d:%d:%d:%d", w.ID, w.Slot, w.Gen, w.PID, w.Ctrl, Bit[int](w.Ready), Bit[int](w.Retiring))
	}
	return b.String()
}

// DecodeMasterState reads EnvMasterState's value.
func DecodeMasterState(v string) (*MasterState, error) {
	fields := map[string]string{}
	for _, kv := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(kv, "=")
		fields[k] = val
	}
	s := &MasterState{Board: -1, TLS: -1}
	var err error
	if s.Gen, err = strconv.ParseUint(fields["gen"], 10, 64); err != nil {
		return nil, fmt.Errorf("bad state %q", v)
	}
	if s.Sockets, err = SplitInts(fields["sockets"]); err != nil {
		return nil, fmt.Errorf("bad sockets in state: %w", err)
	}
	if s.SocketList, err = DecodeSockets(fields["socklist"]); err != nil {
		return nil, err
	}
	board, err := SplitInts(fields["board"])
	if err != nil || len(board) != 1 {
		return nil, fmt.Errorf("no scoreboard in state %q", v)
	}
	s.Board = board[0]
	if s.Caches, err = SplitInts(fields["caches"]); err != nil {
		return nil, fmt.Errorf("bad caches in state: %w", err)
	}
	if p, ok := fields["logpipes"]; ok {
		if s.LogPipes, err = SplitInts(p); err != nil || len(s.LogPipes) != 4 {
			s.LogPipes = []int{} // unusable: the log master starts new pipes
		}
	}
	if tls, err := SplitInts(fields["tls"]); err != nil {
		return nil, fmt.Errorf("bad tls in state: %w", err)
	} else if len(tls) == 1 && tls[0] >= 0 {
		s.TLS = tls[0]
	}
	for _, w := range strings.Split(fields["workers"], ",") {
		if w == "" {
			continue
		}
		f, err := SplitIntsSep(w, ":")
		if err != nil || len(f) != 7 || f[2] < 0 {
			return nil, fmt.Errorf("bad worker %q", w)
		}
		s.Workers = append(s.Workers, WorkerState{ID: f[0], Slot: f[1], Gen: uint64(f[2]), PID: f[3], Ctrl: f[4], Ready: f[5] == 1, Retiring: f[6] == 1})
	}
	return s, nil
}

// TakeMasterState reads and removes EnvMasterState: the state of the
// master image this process replaces, or nil when it replaces none. Run
// calls it once and hands the value to whoever needs it.
func TakeMasterState() (*MasterState, error) {
	v, ok := os.LookupEnv(EnvMasterState)
	if !ok || v == "" {
		return nil, nil
	}
	os.Unsetenv(EnvMasterState)
	s, err := DecodeMasterState(v)
	if err != nil {
		return nil, fmt.Errorf("uwsgi: after binary reload: %w", err)
	}
	return s, nil
}

func joinInts(v []int) string {
	var b []byte
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(b)
}
