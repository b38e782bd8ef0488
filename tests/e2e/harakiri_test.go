package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHarakiriKillsStuckWorker(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--harakiri", "2", "--goroutines", "4")
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	var other sync.WaitGroup
	var bad atomic.Int32
	stop := make(chan struct{})
	for range 2 { // short requests keep succeeding meanwhile
		other.Go(func() {
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := httpCheck(c, base+"/view/"); err != nil {
					bad.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	begin := time.Now()
	resp, err := http.Get(base + "/stuck")
	released := time.Since(begin)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "unstuck" {
			t.Fatal("the stuck request completed: harakiri did not fire")
		}
	}
	if released > 6*time.Second {
		t.Errorf("the stuck request's connection was released after %v, want ~4 s", released)
	}
	p.waitLog("HARAKIRI [core ", 5*time.Second) // the master's line, after the worker's
	log := p.log.String()
	for _, want := range []string{"GET /stuck running for", "main.main.func", "GET /stuck since"} {
		if !strings.Contains(log, want) {
			t.Errorf("harakiri log lacks %q", want)
		}
	}
	waitChildren(t, mpid, 2, 10*time.Second, func(k []int) bool { return !(k[0] == kids[0] && k[1] == kids[1]) })
	close(stop)
	other.Wait()
	// The killed worker also served short requests with its free cores:
	// the ones in flight at the kill fail (at most one per client). Every
	// request on the other worker succeeds.
	if bad.Load() > 2 {
		t.Errorf("%d short requests failed while a worker was harakiri'd; at most the 2 in flight on it may", bad.Load())
	}
}

func TestHarakiriFirstStageCancelsContext(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "1", "--harakiri", "1")
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 1, 15*time.Second, nil)
	code, body := get(t, http.DefaultClient, base+"/polite")
	if code != 200 || body != "cancelled: context canceled" {
		t.Fatalf("polite handler: %d %q", code, body)
	}
	// SetHarakiri extends a request's own deadline past --harakiri.
	if code, body := get(t, http.DefaultClient, base+"/extend"); code != 200 || body != "extended true" {
		t.Fatalf("SetHarakiri: %d %q", code, body)
	}
	time.Sleep(1500 * time.Millisecond) // past the master's second stage
	if got := children(mpid); fmt.Sprint(got) != fmt.Sprint(kids) {
		t.Fatalf("worker replaced (%v -> %v) though its handler honoured the context", kids, got)
	}
}

func TestMaxRequestsRecyclesWithoutDrops(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "2", "--max-requests", "50", "--min-worker-lifetime", "0", "--disable-logging")
	kids := waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	l := startLoad(base, uaddr, "/view/", 2, time.Minute)
	waitGone(t, 30*time.Second, "workers not recycled under load", kids[0], kids[1])
	time.Sleep(time.Second) // more recycles under load
	summary := l.finish()
	t.Logf("recycling under load: %s", summary)
	if l.failed.Load() != 0 {
		t.Fatalf("requests failed while workers recycled: %s", summary)
	}
	if !strings.Contains(p.log.String(), "The work of process") {
		t.Fatal("no recycle line in the log")
	}
}

func TestPanicIs500AndTheWorkerGoesOn(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil)
	_, before := get(t, http.DefaultClient, base+"/version")
	if code, _ := get(t, http.DefaultClient, base+"/panic"); code != 500 {
		t.Fatalf("panicking handler: status %d, want 500", code)
	}
	if _, after := get(t, http.DefaultClient, base+"/version"); after != before {
		t.Fatalf("another process served after the panic: %q then %q", before, after)
	}
	p.waitLog("panic serving GET /panic", 5*time.Second)
}

func TestPanicIs500AndReloadOnException(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "1", "--reload-on-exception")
	kids := waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil)
	if code, _ := get(t, http.DefaultClient, base+"/panic"); code != 500 {
		t.Fatalf("panicking handler: status %d, want 500", code)
	}
	p.waitLog("panic serving GET /panic: testapp: deliberate panic", 5*time.Second)
	waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, func(k []int) bool { return disjoint(k, kids) })
	if code, body := get(t, http.DefaultClient, base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("after the recycle: %d %q", code, body)
	}
}

func TestReloadOnRSS(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "1", "--goroutines", "4", "--reload-on-rss", "64", "--min-worker-lifetime", "0", "--disable-logging")
	kids := waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil)
	l := startLoad(base, uaddr, "/view/", 1, time.Minute)
	get(t, http.DefaultClient, base+"/alloc?mb=100")
	// The worker samples its RSS every second and asks to be replaced.
	waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, func(k []int) bool { return disjoint(k, kids) })
	p.waitLog("reload-on-rss reached", 5*time.Second)
	if summary := l.finish(); l.failed.Load() != 0 {
		t.Fatalf("requests failed while the worker was replaced: %s", summary)
	}
}

func TestEvilReloadOnRSS(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "1", "--evil-reload-on-rss", "64")
	kids := waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil)
	get(t, http.DefaultClient, base+"/alloc?mb=100")
	p.waitLog("*** EVIL RELOAD ON WORKER 1 RSS: ", 5*time.Second)
	waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, func(k []int) bool { return disjoint(k, kids) })
}

func TestCheaperSpareAddsAndStopsWorkers(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "3", "--cheaper", "1", "--cheaper-overload", "1", "--disable-logging")
	mpid := p.cmd.Process.Pid
	waitChildren(t, mpid, 1, 15*time.Second, nil) // only --cheaper workers at start
	// Keep every running worker busy: more workers must start.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			c := &http.Client{Timeout: 30 * time.Second}
			for i := 0; i < 40; i++ {
				select {
				case <-stop:
					return
				default:
				}
				httpCheck(c, base+"/sleep?ms=500")
			}
		})
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(children(mpid)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no worker added while all were busy:\n%s", p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	// Idle again: back down to --cheaper.
	waitChildren(t, mpid, 1, 20*time.Second, nil)
	p.waitLog("going cheap", 5*time.Second)
}

// reload-on-as, evil-reload-on-as and limit-as at the values C configs use
// (512 MB) are far below what a Go process reserves: one warning each, and
// no worker is ever recycled for it.
func TestAddressSpaceBelowBaselineWarns(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "1", "--reload-on-as", "512", "--evil-reload-on-as", "512",
		"--limit-as", "512", "--min-worker-lifetime", "0")
	kids := waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil)
	for range 20 {
		if code, _ := get(t, http.DefaultClient, base+"/view/"); code != 200 {
			t.Fatalf("GET = %d", code)
		}
	}
	time.Sleep(2 * time.Second) // two master cycles: the evil check would have run
	log := p.log.String()
	for _, opt := range []string{"reload-on-as", "evil-reload-on-as", "limit-as"} {
		if n := strings.Count(log, "uwsgi: "+opt+" = 512 MB is ignored: it measures virtual address space"); n != 1 {
			t.Errorf("%d warnings for %s, want 1:\n%s", n, opt, log)
		}
	}
	if strings.Contains(log, "reload-on-as reached") || strings.Contains(log, "EVIL RELOAD") {
		t.Fatalf("a worker was recycled for its address space:\n%s", log)
	}
	if now := waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil); !slices.Equal(now, kids) {
		t.Fatalf("workers changed: %v -> %v", kids, now)
	}
}

// Above the baseline reload-on-as works: a worker that reserves address
// space past the limit is replaced, and no request fails meanwhile.
func TestReloadOnASAboveBaseline(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "1", "--goroutines", "4", "--reload-on-as", "8192", "--min-worker-lifetime", "0", "--disable-logging")
	kids := waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, nil)
	if strings.Contains(p.log.String(), "is ignored") {
		t.Skipf("this machine's Go baseline is above 4 GB of address space:\n%s", p.log.String())
	}
	l := startLoad(base, uaddr, "/view/", 1, time.Minute)
	if code, body := get(t, http.DefaultClient, base+"/reserve?mb=8192"); code != 200 {
		t.Fatalf("reserve: %d %q", code, body)
	}
	waitChildren(t, p.cmd.Process.Pid, 1, 15*time.Second, func(k []int) bool { return disjoint(k, kids) })
	p.waitLog("reload-on-as reached", 5*time.Second)
	if summary := l.finish(); l.failed.Load() != 0 {
		t.Fatalf("requests failed while the worker was replaced: %s", summary)
	}
}
