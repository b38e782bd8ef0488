package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRequestLinesWholeAndCompleteAtStop: requests on many cores of two
// workers at once (lines formatted into per-core buffers), then a graceful
// stop: every request has exactly one whole log line, none torn or mixed
// with another, and each worker's request numbers run 1..n without a gap
// or a repeat, and each worker logs a client's requests in order.
func TestRequestLinesWholeAndCompleteAtStop(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--master", "--processes", "2", "--goroutines", "16")
	const clients, each = 8, 150
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for i := range each {
				if code, _ := get(t, client, fmt.Sprintf("%s/view/?c=%d&i=%d", base, c, i)); code != 200 {
					t.Errorf("status %d", code)
					return
				}
			}
		})
	}
	wg.Wait()
	p.signal(syscall.SIGTERM)
	p.wait(30 * time.Second)
	line := regexp.MustCompile(`^\[pid: (\d+)\|app: 0\|req: (\d+)/(\d+)\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} \[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET /view/\?c=(\d+)&i=(\d+) => generated 20 bytes in \d+ msecs \(HTTP/1\.1 200\) \d+ headers in \d+ bytes \(1 switches on core \d+\)$`)
	seen := map[string]bool{}
	perPID := map[string][]int{}
	lastOfClient := map[string]int{}
	for _, l := range strings.Split(p.log.String(), "\n") {
		if !strings.Contains(l, "GET /view/") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("torn or mixed request line %q", l)
		}
		key := m[4] + "/" + m[5]
		if seen[key] {
			t.Fatalf("request %s logged twice", key)
		}
		seen[key] = true
		n, _ := strconv.Atoi(m[2])
		perPID[m[1]] = append(perPID[m[1]], n)
		// Each worker buffers its own lines: the order holds within a worker.
		i, _ := strconv.Atoi(m[5])
		if last, ok := lastOfClient[m[1]+"/"+m[4]]; ok && i < last {
			t.Errorf("client %s: request %d logged after %d by worker %s", m[4], i, last, m[1])
		}
		lastOfClient[m[1]+"/"+m[4]] = i
	}
	if len(seen) != clients*each {
		t.Fatalf("%d request lines, want %d", len(seen), clients*each)
	}
	for pid, ns := range perPID {
		have := make([]bool, len(ns)+1)
		for _, n := range ns {
			if n < 1 || n > len(ns) || have[n] {
				t.Fatalf("worker %s: request numbers are not 1..%d: %v", pid, len(ns), ns)
			}
			have[n] = true
		}
	}
}

// TestInstanceTotalSumsWorkers: with two workers, each counting requests in
// its own scoreboard slot, the log line's instance total ("req: n/TOTAL")
// of the i-th of sequential requests is i whichever worker served it, and
// the master's SIGUSR1 report gives the sum, as uWSGI's shared counter did.
func TestInstanceTotalSumsWorkers(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--master", "--processes", "2")
	waitWorkers := time.Now().Add(20 * time.Second)
	for strings.Count(p.log.String(), "spawned uWSGI worker") < 2 && time.Now().Before(waitWorkers) {
		time.Sleep(20 * time.Millisecond)
	}
	const n = 40
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 1; i <= n; i++ {
		if code, _ := get(t, client, fmt.Sprintf("%s/view/?i=%d", base, i)); code != 200 {
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	p.signal(syscall.SIGUSR1)
	p.waitLog(fmt.Sprintf("*** instance: %d requests ***", n), 10*time.Second)
	p.signal(syscall.SIGTERM)
	p.wait(30 * time.Second)
	line := regexp.MustCompile(`\[pid: (\d+)\|app: 0\|req: (\d+)/(\d+)\] .* GET /view/\?i=(\d+) `)
	pids := map[string]int{}
	for _, m := range line.FindAllStringSubmatch(p.log.String(), -1) {
		if m[3] != m[4] {
			t.Errorf("request %s logged instance total %s", m[4], m[3])
		}
		pids[m[1]]++
	}
	if len(pids) != 2 {
		t.Logf("all %d requests went to %d worker(s): %v", n, len(pids), pids)
	}
	var sum int
	for _, c := range pids {
		sum += c
	}
	if sum != n {
		t.Fatalf("%d request lines, want %d", sum, n)
	}
}
