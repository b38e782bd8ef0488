package reqlog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample() *Record {
	start := time.Date(2026, 11, 24, 19, 26, 32, 0, time.Local)
	return &Record{
		PID: 6473, AppRequests: 1, TotalRequests: 1, RemoteAddr: []byte("127.0.0.1"),
		Vars: 24, PacketSize: 257, Start: start, Duration: 700 * time.Microsecond,
		Method: []byte("GET"), URI: []byte("/foo?x=1"), Proto: []byte("HTTP/1.1"), Status: 200,
		BodySize: 5, HeaderCount: 1, HeaderBytes: 45, Switches: 1, Core: 0,
		UserAgent: []byte("curl/8"), Host: []byte("example.com"),
	}
}

func TestDefaultLine(t *testing.T) {
	f, _ := Compile("")
	got := string(f.Append(nil, sample()))
	want := "[pid: 6473|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 257 bytes} [Tue Nov 24 19:26:32 2026] GET /foo?x=1 => generated 5 bytes in 0 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)\n"
	if got != want {
		t.Fatalf("default line\n got %q\nwant %q", got, want)
	}
	r := sample()
	r.Proto = nil
	r.Start = time.Date(2026, 11, 4, 9, 5, 1, 0, time.Local)
	got = string(f.Append(nil, r))
	if !strings.Contains(got, "[Wed Nov  4 09:05:01 2026]") || !strings.Contains(got, "( 200)") {
		t.Fatalf("padded day / empty protocol: %q", got)
	}
}

func TestCustomFormats(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{`%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) "%(referer)" "%(uagent)"`,
			`127.0.0.1 - - [24/Nov/2026:19:26:32 ` + time.Date(2026, 11, 24, 0, 0, 0, 0, time.Local).Format("-0700") + `] "GET /foo?x=1 HTTP/1.1" 200 50 "-" "curl/8"`},
		{"%(micros) %(msecs) %(pid) %(wid) %(core) %(vars) %(pktsize) %(hsize) %(rsize) %(headers)", "700 0 6473 0 0 24 257 45 5 1"},
		{"%(host) %(var.HTTP_X) %(nosuch) %(modifier1) %(rerr) %(ioerr) %(cl)", "example.com x-value - 0 0 0 0"},
		{"plain text", "plain text"},
		{"%(unterminated", "%(unterminated"},
	} {
		f, err := Compile(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		r := sample()
		r.Var = func(name string) []byte {
			if name == "HTTP_X" {
				return []byte("x-value")
			}
			return nil
		}
		if got := string(f.Append(nil, r)); got != tc.want+"\n" {
			t.Errorf("format %q\n got %q\nwant %q", tc.format, got, tc.want+"\n")
		}
	}
}

func TestLongLineFallsBack(t *testing.T) {
	f, _ := Compile("")
	r := sample()
	r.URI = bytes.Repeat([]byte("a"), 5000)
	got := string(f.Append(nil, r))
	if !strings.Contains(got, "] 0.0.0.0 () {") || !strings.Contains(got, "] - - => generated 5 bytes") || len(got) > maxLine {
		t.Fatalf("long line not replaced by the minimal form: %.200q", got)
	}
}

func TestMemoryReport(t *testing.T) {
	f, _ := Compile("")
	f.MemoryReport = true
	r := sample()
	r.RSS, r.VSZ = 3<<20, 10<<20
	if got := string(f.Append(nil, r)); !strings.HasPrefix(got, "{address space usage: 10485760 bytes/10MB} {rss usage: 3145728 bytes/3MB} [pid: ") {
		t.Fatalf("memory report prefix: %q", got)
	}
}

func TestAppendAllocatesNothing(t *testing.T) {
	all, _ := Compile("%(uri) %(method) %(addr) %(status) %(ctime) %(ltime) %(msecs) %(size) %(var.X)")
	def, _ := Compile("")
	r := sample()
	buf := make([]byte, 0, 8192)
	for _, f := range []*Format{def, all} {
		if n := testing.AllocsPerRun(200, func() { buf = f.Append(buf[:0], r) }); n != 0 {
			t.Errorf("Append allocates %v times per line, want 0", n)
		}
	}
}

// failingWriter fails while fail is set.
type failingWriter struct {
	mu   sync.Mutex
	fail bool
	buf  bytes.Buffer
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return 0, errors.New("disk full")
	}
	return f.buf.Write(p)
}

func TestWriterConcurrentWholeLines(t *testing.T) {
	out := &failingWriter{}
	w := NewWriter(out)
	f, _ := Compile("%(uri)")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				r := sample()
				r.URI = fmt.Appendf(nil, "/g%d/i%d/%s", g, i, strings.Repeat("x", 50))
				w.WriteRecord(f, r)
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	if len(lines) != 4000 {
		t.Fatalf("%d lines, want 4000", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "/g") || !strings.HasSuffix(l, strings.Repeat("x", 50)) {
			t.Fatalf("torn line %q", l)
		}
	}
}

func TestWriterFlushesByInterval(t *testing.T) {
	out := &failingWriter{}
	w := NewWriter(out)
	defer w.Close()
	w.Write([]byte("hello\n"))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out.mu.Lock()
		s := out.buf.String()
		out.mu.Unlock()
		if s == "hello\n" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("a buffered line was never flushed by the interval")
}

func TestWriterReportsFailureOnce(t *testing.T) {
	out := &failingWriter{fail: true}
	var errs int
	w := NewWriter(out, WithErrorHandler(func(error) { errs++ }))
	for range 3 {
		w.Write([]byte("lost\n"))
		w.Flush()
	}
	out.mu.Lock()
	out.fail = false
	out.mu.Unlock()
	w.Write([]byte("back\n"))
	w.Close()
	if errs != 1 {
		t.Fatalf("error handler called %d times, want 1", errs)
	}
	if got := out.buf.String(); got != "back\nuwsgo: the log could not be written for a while: 3 lines were lost\n" {
		t.Fatalf("after recovery: %q", got)
	}
}

func ExampleCompile() {
	f, _ := Compile(`%(method) %(uri) %(status)`)
	r := &Record{Method: []byte("GET"), URI: []byte("/view/"), Status: 200}
	os.Stdout.Write(f.Append(nil, r))
	// Output: GET /view/ 200
}
