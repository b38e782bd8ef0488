package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestHelloExample(t *testing.T) {
	_, base := httpServer(t, bins.hello, nil, "--goroutines", "100")
	c := &http.Client{}
	if code, body := get(t, c, base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("GET /view/ = %d %q, want 200 <h1>Hello World</h1>", code, body)
	}
	if code, _ := get(t, c, base+"/nothing-here"); code != 404 {
		t.Fatalf("GET /nothing-here = %d, want 404", code)
	}
}

func TestRunFastServes(t *testing.T) {
	_, base := httpServer(t, bins.testapp, []string{"TESTAPP_FAST=1"})
	if code, body := get(t, &http.Client{}, base+"/anything"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("RunFast GET = %d %q", code, body)
	}
}

// concurrentSleeps fires n requests to /sleep?ms=ms at once and returns how
// long the last took to finish.
func concurrentSleeps(t *testing.T, base string, n, ms int) time.Duration {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	begin := time.Now()
	for range n {
		wg.Go(func() {
			resp, err := http.Get(fmt.Sprintf("%s/sleep?ms=%d", base, ms))
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return time.Since(begin)
}

func TestGoroutinesServeConcurrently(t *testing.T) {
	_, base := httpServer(t, bins.testapp, nil, "--goroutines", "100", "--disable-logging")
	// 50 one-second requests: one at a time they would take 50 s.
	if d := concurrentSleeps(t, base, 50, 1000); d > 10*time.Second {
		t.Fatalf("50 concurrent 1 s requests took %v with 100 cores; they were not served concurrently", d)
	}
}

func TestWithoutGoroutinesOneRequestAtATime(t *testing.T) {
	_, base := httpServer(t, bins.testapp, nil, "--disable-logging")
	// Two 1 s requests on one core cannot both finish before 2 s.
	if d := concurrentSleeps(t, base, 2, 1000); d < 1900*time.Millisecond {
		t.Fatalf("two 1 s requests finished in %v on a single core; they ran concurrently", d)
	}
}

func TestThreadsMeanGoroutines(t *testing.T) {
	_, base := httpServer(t, bins.testapp, nil, "--threads", "4", "--disable-logging")
	if d := concurrentSleeps(t, base, 4, 1000); d > 3500*time.Millisecond {
		t.Fatalf("4 concurrent 1 s requests took %v with --threads 4", d)
	}
}

func TestRequestLogLine(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil)
	get(t, &http.Client{}, base+"/view/?x=1")
	p.signal(syscall.SIGINT)
	p.wait(10 * time.Second)
	log := p.log.String()
	for _, want := range []string{"[pid: ", "|app: 0|req: 1/1] 127.0.0.1 () {", "GET /view/?x=1 => generated 20 bytes in ", " msecs (HTTP/1.1 200) ", "(1 switches on core 0)", "goodbye to uWSGI."} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestLogtoAndDisableLogging(t *testing.T) {
	logfile := filepath.Join(t.TempDir(), "uwsgo.log")
	p, base := httpServer(t, bins.testapp, nil, "--logto", logfile, "--disable-logging")
	get(t, &http.Client{}, base+"/view/")
	p.signal(syscall.SIGINT)
	p.wait(10 * time.Second)
	b, err := os.ReadFile(logfile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "goodbye to uWSGI.") {
		t.Fatalf("--logto file lacks the server log:\n%s", b)
	}
	if strings.Contains(string(b), "GET /view/") {
		t.Fatalf("--disable-logging still logged the request:\n%s", b)
	}
}

func TestLogFormat(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--log-format", "%(method) %(uri) %(status) %(size) x=%(var.HTTP_X_TEST)")
	req, _ := http.NewRequest("GET", base+"/view/", nil)
	req.Header.Set("X-Test", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p.signal(syscall.SIGINT)
	p.wait(10 * time.Second)
	if !strings.Contains(p.log.String(), "GET /view/ 200 ") {
		t.Fatalf("custom log format not applied:\n%s", p.log.String())
	}
}

func TestSIGTERMFinishesInFlight(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--goroutines", "4")
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/sleep?ms=1500")
		if err != nil {
			result <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b := make([]byte, 64)
		n, _ := resp.Body.Read(b)
		result <- string(b[:n])
	}()
	p.waitLog("testapp: sleep start", 10*time.Second)
	p.signal(syscall.SIGTERM)
	if code := p.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit status after SIGTERM = %d, want 0", code)
	}
	if got := <-result; got != "slept 1500" {
		t.Fatalf("in-flight request got %q, want it completed", got)
	}
}

func TestSIGINTStopsAtOnce(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--goroutines", "4")
	go http.Get(base + "/sleep?ms=20000")
	p.waitLog("testapp: sleep start", 10*time.Second)
	p.signal(syscall.SIGINT)
	p.wait(8 * time.Second)
}

func TestUnixHTTPSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "app.sock")
	p := start(t, bins.testapp, nil, "--http-socket", sock, "--chmod-socket=660")
	waitDial(t, "unix", sock, p)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode %v, want 0660", fi.Mode().Perm())
	}
	c := unixClient(sock)
	if code, body := get(t, c, "http://unix/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("GET over unix socket = %d %q", code, body)
	}
}

func TestProtocolHTTPOnSocket(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.hello, nil, "--socket", addr, "--protocol=http")
	waitDial(t, "tcp", addr, p)
	if code, body := get(t, &http.Client{}, "http://"+addr+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("--protocol=http: %d %q", code, body)
	}
}
