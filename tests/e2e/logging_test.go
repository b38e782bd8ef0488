package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func fileLines(path string) []string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func waitFileContains(t *testing.T, path, want string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s never contained %q:\n%s", path, want, b)
}

// TestLoggers: named loggers with routes, request loggers with a JSON
// encoder, log-date, and the workers' own output, all written by the master.
func TestLoggers(t *testing.T) {
	dir := t.TempDir()
	all, errs, req := filepath.Join(dir, "all.log"), filepath.Join(dir, "errors.log"), filepath.Join(dir, "req.log")
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--log-date",
		"--logger", "file:"+all, "--logger", "errors file:"+errs, "--log-route", "errors ^((?!spawned).)*DAMN",
		"--req-logger", "file:"+req, "--log-req-encoder", `json {"msg":"${msg}","unix":${unix}}`, "--log-req-encoder", "nl")
	kids := waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	const n = 20
	for i := range n {
		if code, _ := get(t, oneShotClient(), fmt.Sprintf("%s/view/%d", base, i)); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	get(t, oneShotClient(), base+"/sleep?ms=1") // the app prints "testapp: sleep start" to stderr
	waitFileContains(t, all, "testapp: sleep start", 5*time.Second)
	time.Sleep(300 * time.Millisecond) // request lines wait up to 100 ms in a worker's buffer
	syscall.Kill(kids[0], syscall.SIGKILL)
	waitFileContains(t, errs, "DAMN ! worker", 10*time.Second)
	waitFileContains(t, all, "Respawned uWSGI worker", 10*time.Second)
	time.Sleep(300 * time.Millisecond)

	dated := regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - `)
	for _, l := range fileLines(all) {
		if strings.Contains(l, "DAMN") {
			t.Errorf("a routed line reached the default logger: %q", l)
		}
		if strings.Contains(l, "spawned uWSGI master") && !dated.MatchString(l) {
			t.Errorf("--log-date: %q", l)
		}
	}
	if got := fileLines(errs); len(got) != 1 {
		t.Errorf("errors logger: %q", got)
	}
	reqs := fileLines(req)
	if len(reqs) != n+1 {
		t.Fatalf("request logger has %d lines, want %d:\n%s", len(reqs), n+1, strings.Join(reqs, "\n"))
	}
	for _, l := range reqs {
		var rec struct {
			Msg  string
			Unix int64
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil || !strings.Contains(rec.Msg, "GET /") || rec.Unix == 0 {
			t.Fatalf("request line %q: %v", l, err)
		}
	}
	if b, _ := os.ReadFile(all); strings.Contains(string(b), "GET /view/") {
		t.Error("request lines reached the server logger")
	}
}

// TestLogReopenUnderLoad: logrotate renames the file and touches
// --touch-logreopen while requests run; no request line is lost.
func TestLogReopenUnderLoad(t *testing.T) {
	dir := t.TempDir()
	logf, touch := filepath.Join(dir, "app.log"), filepath.Join(dir, "reopen")
	os.WriteFile(touch, nil, 0o644)
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--logto", logf, "--touch-logreopen", touch)
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	const clients, each = 4, 300
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 10 * time.Second}
	errc := make(chan error, clients)
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				resp, err := c.Get(fmt.Sprintf("%s/view/c%d-%d", base, g, i))
				if err != nil {
					errc <- err
					return
				}
				resp.Body.Close()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if err := os.Rename(logf, logf+".1"); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(touch, future, future)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	waitFileContains(t, logf, "reopening log files", 5*time.Second)
	time.Sleep(500 * time.Millisecond) // the writers flush every 100 ms
	count := 0
	for _, f := range []string{logf + ".1", logf} {
		for _, l := range fileLines(f) {
			if strings.Contains(l, "GET /view/c") {
				count++
			}
		}
	}
	if count != clients*each {
		t.Fatalf("%d request lines in the two files, want %d", count, clients*each)
	}
	if len(fileLines(logf)) == 0 {
		t.Fatal("nothing was written to the reopened file")
	}
}

// TestLogMaxsize: --logto rotates past --log-maxsize and no line is lost.
func TestLogMaxsize(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "app.log")
	_, base, _, _ := masterServer(t, nil, "--processes", "1", "--logto", logf, "--log-maxsize", "4000")
	const n = 100
	for i := range n {
		get(t, nil2(), fmt.Sprintf("%s/view/r%d", base, i))
	}
	time.Sleep(500 * time.Millisecond)
	files, _ := filepath.Glob(logf + "*")
	count := 0
	for _, f := range files {
		for _, l := range fileLines(f) {
			if strings.Contains(l, "GET /view/r") {
				count++
			}
		}
	}
	if len(files) < 3 || count != n {
		t.Fatalf("%d files, %d request lines (want several files and %d lines)", len(files), count, n)
	}
}

// TestLogOnlyWhatIsAsked: with --disable-logging, only 4xx, 5xx, slow and
// static-file requests are logged, as the options ask.
func TestLogOnlyWhatIsAsked(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("file"), 0o644)
	p, base, _, _ := masterServer(t, nil, "--processes", "1", "--disable-logging", "--log-4xx", "--log-5xx",
		"--log-slow", "300", "--log-sendfile", "--static-map", "/files="+dir)
	for _, path := range []string{"/view/quiet", "/status/404", "/status/503", "/sleep?ms=400", "/files/f.txt", "/view/quiet2"} {
		get(t, nil2(), base+path)
	}
	p.waitLog("GET /files/f.txt", 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	log := p.log.String()
	for _, want := range []string{"GET /status/404", "GET /status/503", "GET /sleep?ms=400", "GET /files/f.txt"} {
		if !strings.Contains(log, want) {
			t.Errorf("%s was not logged", want)
		}
	}
	if strings.Contains(log, "GET /view/quiet") {
		t.Error("a fast 200 was logged under --disable-logging")
	}
}
