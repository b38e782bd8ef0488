package logging

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, _ := os.ReadFile(p)
	return string(b)
}

// The routing and encoding of the JSON-logging recipe published for uWSGI
// (app lines with msgName to one logger, the rest as JSON to another).
func TestRoutesAndEncoders(t *testing.T) {
	dir := t.TempDir()
	def, second, raw, req := filepath.Join(dir, "default"), filepath.Join(dir, "second"), filepath.Join(dir, "raw"), filepath.Join(dir, "req")
	rawSink, err := OpenFile(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{
		Loggers:     []string{"default file:" + def, "secondlogger file:" + second},
		Routes:      []string{"secondlogger msgName", "default ^((?!msgName).)*$"},
		Encoders:    []string{`json:default {"source":"uwsgi", "message":"${msg}"}`, "format:secondlogger [${msg}]", "nl"},
		ReqLoggers:  []string{"file:" + req},
		ReqEncoders: []string{"prefix REQ ", "suffix !"},
	}, rawSink)
	if err != nil {
		t.Fatal(err)
	}
	r.Server([]byte("spawned \"worker\" 1\n"))
	r.Server([]byte("app says msgName=x\n"))
	r.Request([]byte("GET / 200\n"))
	r.Close()
	if got := read(t, def); got != `{"source":"uwsgi", "message":"spawned \"worker\" 1"}`+"\n" {
		t.Errorf("default logger got %q", got)
	}
	if got := read(t, second); got != "[app says msgName=x]\n" {
		t.Errorf("second logger got %q", got)
	}
	if got := read(t, req); got != "REQ GET / 200\n!" {
		t.Errorf("request logger got %q", got)
	}
	if got := read(t, raw); got != "" {
		t.Errorf("raw log got %q", got)
	}
}

func TestUnroutedLinesGoToUnnamedLoggersOrRaw(t *testing.T) {
	dir := t.TempDir()
	raw, named := filepath.Join(dir, "raw"), filepath.Join(dir, "named")
	rawSink, _ := OpenFile(raw, 0)
	r, err := New(Config{Loggers: []string{"errors file:" + named}, Routes: []string{"errors ERROR"}}, rawSink)
	if err != nil {
		t.Fatal(err)
	}
	r.Server([]byte("ERROR one\n"))
	r.Server([]byte("fine\n"))
	r.Request([]byte("GET /\n")) // no req-logger: a server line
	if read(t, named) != "ERROR one\n" || read(t, raw) != "fine\nGET /\n" {
		t.Fatalf("named %q raw %q", read(t, named), read(t, raw))
	}
}

func TestFileRotationAndReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	s, err := OpenFile(p, 100)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 39) + "\n")
	for range 5 {
		s.Write(line)
	}
	matches, _ := filepath.Glob(p + ".*")
	if len(matches) != 1 || len(read(t, matches[0])) != 120 || len(read(t, p)) != 80 {
		t.Fatalf("rotation: backups %v, current %d bytes", matches, len(read(t, p)))
	}
	os.Rename(p, p+".rotated") // logrotate
	s.Reopen()
	s.Write(line)
	if read(t, p) != string(line) {
		t.Fatalf("after reopen: %q", read(t, p))
	}
}

func TestBadConfig(t *testing.T) {
	raw := WriterSink(os.Stderr)
	for _, c := range []Config{
		{Loggers: []string{"mongodb:localhost"}},
		{Routes: []string{"nobody x"}},
		{Loggers: []string{"a stdio"}, Routes: []string{"a ("}},
		{Encoders: []string{"rot13"}},
	} {
		if _, err := New(c, raw); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestStrftime(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if got := string(AppendStrftime(nil, "%Y-%m-%dT%H:%M:%S %j %a %b %% %q", ts)); got != "2026-03-04T05:06:07 063 Wed Mar % %q" {
		t.Fatalf("got %q", got)
	}
}

func TestSocketLogger(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, err := New(Config{Loggers: []string{"socket:" + pc.LocalAddr().String()}, Encoders: []string{"prefix <14>"}}, WriterSink(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Server([]byte("over udp\n"))
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "<14>over udp\n" {
		t.Fatalf("datagram %q %v", buf[:n], err)
	}
}
