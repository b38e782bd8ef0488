package e2e

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// soakDuration is how long TestSoak runs: 15 s in make test, 10 minutes
// (or UWSGO_SOAK_DURATION) with make soak.
func soakDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("UWSGO_SOAK_DURATION")); err == nil {
		return d
	}
	if os.Getenv("UWSGO_SOAK") == "1" {
		return 10 * time.Minute
	}
	return 15 * time.Second
}

// TestSoak: mixed load while the master is reloaded, workers are killed
// with SIGKILL, stopped and continued, and uWSGI signals are raised. After:
// no failed request beyond those a killed worker had in flight, and the
// master's descriptors, threads and memory stay flat.
func TestSoak(t *testing.T) {
	d := soakDuration()
	const clients, cores = 8, 8
	p, base, _, _ := masterServer(t, []string{"TESTAPP_SIGNALS=1"}, "--processes", "4", "--goroutines", strconv.Itoa(cores),
		"--disable-logging", "--worker-reload-mercy", "10")
	master := p.cmd.Process.Pid
	waitChildren(t, master, 4, 15*time.Second, nil)
	time.Sleep(500 * time.Millisecond)
	fds0, threads0, rss0 := countDir(fmt.Sprintf("/proc/%d/fd", master)), countDir(fmt.Sprintf("/proc/%d/task", master)), rssKB(master)

	var ok, failed atomic.Int64
	var kills atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			body := bytes.Repeat([]byte("x"), 2000)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var resp *http.Response
				var err error
				if i%3 == 0 {
					resp, err = c.Post(base+"/echo", "application/octet-stream", bytes.NewReader(body))
				} else {
					resp, err = c.Get(fmt.Sprintf("%s/view/%d-%d", base, g, i))
				}
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if rerr == nil && resp.StatusCode == 200 && (i%3 != 0 || len(b) == len(body)) {
						ok.Add(1)
						continue
					}
				}
				failed.Add(1)
			}
		}()
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	deadline := time.Now().Add(d)
	actions := map[string]int{}
	for time.Now().Before(deadline) {
		time.Sleep(time.Duration(300+rng.Intn(400)) * time.Millisecond)
		kids := children(master)
		if len(kids) == 0 {
			continue
		}
		victim := kids[rng.Intn(len(kids))]
		switch a := rng.Intn(10); {
		case a < 2:
			p.signal(syscall.SIGHUP)
			actions["reload"]++
		case a < 5:
			if syscall.Kill(victim, syscall.SIGKILL) == nil {
				kills.Add(1)
				actions["kill -9"]++
			}
		case a < 7:
			syscall.Kill(victim, syscall.SIGSTOP)
			time.Sleep(200 * time.Millisecond)
			syscall.Kill(victim, syscall.SIGCONT)
			actions["stop/cont"]++
		default:
			get(t, nil2(), base+"/raise?n="+[]string{"17", "18", "21"}[rng.Intn(3)])
			actions["uwsgi signal"]++
		}
	}
	close(stop)
	wg.Wait()
	waitChildren(t, master, 4, 30*time.Second, nil)
	time.Sleep(time.Second)
	fds1, threads1, rss1 := countDir(fmt.Sprintf("/proc/%d/fd", master)), countDir(fmt.Sprintf("/proc/%d/task", master)), rssKB(master)
	t.Logf("%v: %d requests ok, %d failed; actions %v; master fds %d→%d, threads %d→%d, RSS %d→%d kB",
		d, ok.Load(), failed.Load(), actions, fds0, fds1, threads0, threads1, rss0, rss1)
	if ok.Load() == 0 {
		t.Fatal("no request succeeded")
	}
	if max := kills.Load() * cores; failed.Load() > max {
		t.Errorf("%d failed requests; at most %d (%d kills × %d cores in flight) may fail", failed.Load(), max, kills.Load(), cores)
	}
	if fds1 > fds0+4 {
		t.Errorf("the master's descriptors grew from %d to %d", fds0, fds1)
	}
	// Go keeps the threads its blocking syscalls needed (a wait4 per child,
	// more while a reload overlaps two generations): bounded, not leaking.
	if threads1 > threads0+24 {
		t.Errorf("the master's threads grew from %d to %d", threads0, threads1)
	}
	if rss1 > rss0+16<<10 {
		t.Errorf("the master's RSS grew from %d to %d kB", rss0, rss1)
	}
	if strings.Contains(p.log.String(), "panic:") {
		t.Error("a process panicked")
	}
}

func countDir(path string) int {
	es, _ := os.ReadDir(filepath.Clean(path))
	return len(es)
}
