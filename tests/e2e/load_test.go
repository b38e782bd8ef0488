package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load drives a server with several kinds of clients until stopped, and
// counts every request: one-shot and keep-alive HTTP, and uwsgi-protocol.
type load struct {
	ok, failed atomic.Int64
	worst      atomic.Int64 // ns
	stop       chan struct{}
	wg         sync.WaitGroup
	mu         sync.Mutex
	errs       []string
}

// startLoad runs n clients of each kind against httpBase (and uwsgiAddr if
// not empty) on path; each stops after maxPerClient requests or maxTime.
func startLoad(httpBase, uwsgiAddr, path string, n int, maxTime time.Duration) *load {
	l := &load{stop: make(chan struct{})}
	const maxPerClient = 200000
	deadline := time.Now().Add(maxTime)
	client := func(do func() error) {
		defer l.wg.Done()
		for i := 0; i < maxPerClient && time.Now().Before(deadline); i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			t0 := time.Now()
			err := do()
			if d := int64(time.Since(t0)); d > l.worst.Load() {
				l.worst.Store(d)
			}
			if err != nil {
				l.failed.Add(1)
				l.note(err)
			} else {
				l.ok.Add(1)
			}
		}
	}
	oneShot := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	for range n {
		keepAlive := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
		l.wg.Add(2)
		go client(func() error { return httpCheck(oneShot, httpBase+path) })
		go client(func() error { return httpCheck(keepAlive, httpBase+path) })
		if uwsgiAddr != "" {
			l.wg.Add(1)
			go client(func() error { _, _, err := uwsgiGet("tcp", uwsgiAddr, path); return err })
		}
	}
	return l
}

func httpCheck(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || len(b) == 0 {
		return fmt.Errorf("status %d body %q", resp.StatusCode, b)
	}
	return nil
}

func (l *load) note(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 20 {
		l.errs = append(l.errs, time.Now().Format("15:04:05.000")+" "+err.Error())
	}
}

// finish stops the clients and returns a summary.
func (l *load) finish() string {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d ok, %d failed, worst latency %v; first errors:\n%s",
		l.ok.Load(), l.failed.Load(), time.Duration(l.worst.Load()).Round(time.Millisecond), strings.Join(l.errs, "\n"))
}
