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
// or a repeat, in order for each keep-alive connection.
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
		i, _ := strconv.Atoi(m[5])
		if last, ok := lastOfClient[m[4]]; ok && i < last {
			t.Errorf("client %s: request %d logged after %d", m[4], i, last)
		}
		lastOfClient[m[4]] = i
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
