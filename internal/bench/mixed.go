package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The row "fast requests beside a slow one": uWSGI's most common deployment
// shape (--master --processes 2, one core each) while one client keeps a
// GET /sleep?ms=500 in flight and four ab clients send one-shot GET /view/.
// A worker that accepted while busy would make fast requests wait up to
// the sleep; the p99 and the longest request show it.

type mixedResult struct {
	name           string
	served, failed int
	p50, p99, max  float64 // ms
	slowServed     int
}

// mixed runs the row for uwsgo and, when installed, real uWSGI, each for
// rounds of 2 × the wrk duration, and renders a table of the median rounds.
func (b *bench) mixed() string {
	servers := []struct {
		name string
		cmd  func(port int) *exec.Cmd
	}{
		{"uwsgo --master --processes 2 (1 core each)", func(port int) *exec.Cmd {
			return exec.Command(b.bin("testapp"), "--http-socket", fmt.Sprintf("127.0.0.1:%d", port),
				"--master", "--processes", "2", "--disable-logging")
		}},
	}
	if b.hasUWSGIPython() {
		app, _ := filepath.Abs("internal/testapp/sleep.py") // make bench runs at the top
		servers = append(servers, struct {
			name string
			cmd  func(port int) *exec.Cmd
		}{"real uWSGI 2.0 --master --processes 2 (python3)", func(port int) *exec.Cmd {
			return exec.Command("uwsgi", "--plugin", "python3", "--wsgi-file", app, "--http-socket",
				fmt.Sprintf("127.0.0.1:%d", port), "--master", "--processes", "2", "--disable-logging")
		}})
	}
	if _, err := exec.LookPath("ab"); err != nil {
		return "\nab (apache2-utils) is not installed: no fast-beside-slow row.\n"
	}
	var sb strings.Builder
	d := 2 * b.dur
	rounds := max((b.rounds+1)/2, 1)
	fmt.Fprintf(&sb, "\n### Fast requests beside a slow one\n\nOne client keeps `GET /sleep?ms=500` in flight; "+
		"`ab -c 4` sends one-shot `GET /view/` for %v; %d rounds, the round with the median count shown.\n\n", d, rounds)
	sb.WriteString("| server | fast requests served | failed | p50 ms | p99 ms | max ms | slow requests |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range servers {
		var runs []mixedResult
		for round := range rounds {
			r, err := b.mixedRun(s.name, s.cmd, d)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", s.name, err)
				continue
			}
			fmt.Fprintf(os.Stderr, "round %d/%d  %-58s %8d fast, max %.0f ms\n", round+1, rounds, s.name, r.served, r.max)
			runs = append(runs, r)
		}
		if len(runs) == 0 {
			continue
		}
		slices.SortFunc(runs, func(a, b mixedResult) int { return a.served - b.served })
		r := runs[(len(runs)-1)/2]
		fmt.Fprintf(&sb, "| %s | %d | %d | %.0f | %.0f | %.0f | %d |\n", r.name, r.served, r.failed, r.p50, r.p99, r.max, r.slowServed)
	}
	return sb.String()
}

func (b *bench) hasUWSGIPython() bool {
	if _, err := exec.LookPath("uwsgi"); err != nil {
		return false
	}
	out, _ := exec.Command("uwsgi", "--plugin", "python3", "--version").CombinedOutput()
	return !strings.Contains(string(out), "unable to load plugin")
}

var abRe = struct{ done, failed, p50, p99, max *regexp.Regexp }{
	regexp.MustCompile(`Complete requests:\s+(\d+)`),
	regexp.MustCompile(`Failed requests:\s+(\d+)`),
	regexp.MustCompile(`(?m)^\s+50%\s+(\d+)`),
	regexp.MustCompile(`(?m)^\s+99%\s+(\d+)`),
	regexp.MustCompile(`(?m)^\s+100%\s+(\d+)`),
}

func (b *bench) mixedRun(name string, server func(int) *exec.Cmd, d time.Duration) (mixedResult, error) {
	port := freePort()
	srv := server(port)
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		return mixedResult{}, err
	}
	defer func() { _ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL); _ = srv.Wait() }()
	if err := waitPort(port); err != nil {
		return mixedResult{}, err
	}
	time.Sleep(500 * time.Millisecond) // both workers up
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	slow := 0
	wg.Go(func() { // the sleeper, bounded by the run
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		for range 1000 {
			select {
			case <-stop:
				return
			default:
			}
			if resp, err := c.Get(base + "/sleep?ms=500"); err == nil {
				resp.Body.Close()
				slow++
			}
		}
	})
	time.Sleep(100 * time.Millisecond)
	// -n after -t: -t alone caps the run at 50,000 requests.
	out, err := exec.Command("ab", "-q", "-t", strconv.Itoa(int(d.Seconds())), "-n", "5000000", "-c", "4", base+"/view/").CombinedOutput()
	close(stop)
	wg.Wait()
	if err != nil {
		return mixedResult{}, fmt.Errorf("ab: %v\n%s", err, out)
	}
	r := mixedResult{name: name, slowServed: slow}
	num := func(re *regexp.Regexp) float64 {
		m := re.FindSubmatch(out)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	r.served, r.failed = int(num(abRe.done)), int(num(abRe.failed))
	r.p50, r.p99, r.max = num(abRe.p50), num(abRe.p99), num(abRe.max)
	return r, nil
}
