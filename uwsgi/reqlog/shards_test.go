package reqlog

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDefaultFastPathMatchesOps(t *testing.T) {
	fast, _ := Compile("")
	slow, _ := Compile("")
	slow.slowDefault = true
	records := []func(*Record){
		func(*Record) {},
		func(r *Record) { r.RemoteAddr, r.Method, r.URI, r.Proto, r.RemoteUser = nil, nil, nil, nil, nil },
		func(r *Record) { r.RemoteUser = []byte("alice"); r.Core = -1; r.Status = 0 },
		func(r *Record) {
			r.PID, r.AppRequests, r.TotalRequests = math.MaxInt32, math.MaxUint64, 1234567890123
			r.BodySize, r.Duration, r.HeaderBytes = math.MaxInt64, 12345*time.Millisecond, 99999
		},
		func(r *Record) { r.BodySize = -1; r.Vars = 10; r.PacketSize = 9 },
		func(r *Record) { r.URI = bytes.Repeat([]byte("u"), 5000) },
		func(r *Record) { r.Start = time.Date(2026, 2, 3, 4, 5, 6, 0, time.Local) },
	}
	for _, memory := range []bool{false, true} {
		fast.MemoryReport, slow.MemoryReport = memory, memory
		for i, mod := range records {
			r := sample()
			r.RSS, r.VSZ = 5<<20, 7<<20
			mod(r)
			got, want := string(fast.Append(nil, r)), string(slow.Append(nil, r))
			if got != want {
				t.Errorf("record %d (memory %v):\n fast %.300q\n ops  %.300q", i, memory, got, want)
			}
		}
	}
}

// lineSink records every Write it gets, to check whole lines.
type lineSink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if len(p) > 0 && p[len(p)-1] != '\n' {
		panic(fmt.Sprintf("a write ends inside a line: %.80q", p[max(0, len(p)-80):]))
	}
	return s.buf.Write(p)
}

func (s *lineSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestShardsKeepEveryLineWhole writes from goroutines on distinct cores,
// on cores that share a shard, without a core, and server messages between
// them, with the timer's collections running: every line arrives once,
// whole, and the lines of one goroutine keep their order.
func TestShardsKeepEveryLineWhole(t *testing.T) {
	out := &lineSink{}
	w := NewWriter(out)
	f, _ := Compile("%(core) %(uri)")
	const goroutines, lines = 12, 3000
	cores := []int{0, 1, 2, 3, shardCount, shardCount + 1, 2 * shardCount, -1, 5, 5, 6, 7}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := sample()
			r.Core = cores[g]
			for i := range lines {
				r.URI = fmt.Appendf(r.URI[:0], "/g%d/i%d/%s", g, i, strings.Repeat("x", 40))
				if g%2 == 0 {
					r.Start = time.Now() // else equal end times: the order of shards decides
				}
				w.WriteRecord(f, r)
				if i%500 == 0 {
					fmt.Fprintf(w, "server message g%d i%d\n", g, i)
				}
			}
		})
	}
	wg.Wait()
	w.Close()
	next := make([]int, goroutines)
	messages := 0
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if strings.HasPrefix(l, "server message ") {
			messages++
			continue
		}
		var core, g, i int
		var x string
		if n, err := fmt.Sscanf(l, "%d /g%d/i%d/%s", &core, &g, &i, &x); n != 4 || err != nil || x != strings.Repeat("x", 40) || core != cores[g] {
			t.Fatalf("torn or mixed line %q", l)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after line %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("goroutine %d: %d lines arrived, want %d", g, n, lines)
		}
	}
	if messages != goroutines*lines/500 {
		t.Errorf("%d server messages, want %d", messages, goroutines*lines/500)
	}
}

// TestMessageFollowsEarlierRequestLines: a server message written after a
// request line (in a shard) comes after it in the output.
func TestMessageFollowsEarlierRequestLines(t *testing.T) {
	out := &lineSink{}
	w := NewWriter(out)
	f, _ := Compile("%(uri)")
	r := sample()
	for core := range 3 {
		r.Core = core
		w.WriteRecord(f, r)
	}
	w.Write([]byte("message\n"))
	w.Close()
	if got := out.String(); got != "/foo?x=1\n/foo?x=1\n/foo?x=1\nmessage\n" {
		t.Fatalf("output %q", got)
	}
}

// TestCloseWritesShardLines: a graceful stop writes the lines in every
// shard, and lines after Close go out at once.
func TestCloseWritesShardLines(t *testing.T) {
	out := &lineSink{}
	w := NewWriter(out)
	f, _ := Compile("%(core)")
	r := sample()
	for core := range shardCount {
		r.Core = core
		w.WriteRecord(f, r)
	}
	if out.String() != "" {
		t.Fatal("lines written before the interval or Close")
	}
	w.Close()
	var want strings.Builder
	for core := range shardCount {
		fmt.Fprintf(&want, "%d\n", core)
	}
	if got := out.String(); got != want.String() {
		t.Fatalf("after Close: %q", got)
	}
	r.Core = 3
	w.WriteRecord(f, r)
	if got := out.String(); !strings.HasSuffix(got, "63\n3\n") {
		t.Fatalf("a line after Close was not written at once: %q", got[len(got)-10:])
	}
}

// TestFullShardMovesOut: a shard past shardFlush goes out without the
// timer, in whole lines.
func TestFullShardMovesOut(t *testing.T) {
	out := &lineSink{}
	w := NewWriter(out)
	defer w.Close()
	f, _ := Compile("%(uri)")
	r := sample()
	r.URI = bytes.Repeat([]byte("y"), 99)
	for range 4 * bufferLimit / 100 {
		w.WriteRecord(f, r)
	}
	if out.String() == "" {
		t.Fatal("nothing written after 4 buffers of lines")
	}
}

func TestWriterAllocatesNothing(t *testing.T) {
	w := NewWriter(io.Discard)
	defer w.Close()
	f, _ := Compile("")
	r := sample()
	for _, core := range []int{3, -1} {
		r.Core = core
		w.WriteRecord(f, r) // the shard's buffer, once
		if n := testing.AllocsPerRun(2000, func() { w.WriteRecord(f, r) }); n != 0 {
			t.Errorf("WriteRecord on core %d allocates %v times per line, want 0", core, n)
		}
	}
}

func BenchmarkWriterParallelCores(b *testing.B) {
	w := NewWriter(io.Discard)
	f, _ := Compile("")
	var next atomic.Int32
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := sample()
		r.Core = int(next.Add(1))
		for pb.Next() {
			w.WriteRecord(f, r)
		}
	})
	w.Close()
}
