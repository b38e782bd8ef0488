package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// queuedRequests opens n connections that each send GET /view/, and returns
// a channel that gets each one's status line.
func queuedRequests(t *testing.T, addr string, n int) chan string {
	t.Helper()
	out := make(chan string, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		go func() {
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				line = err.Error()
			}
			out <- strings.TrimSpace(line)
		}()
	}
	return out
}

// listenQueue reads the stats' listen_queue and the named socket's queue.
func listenQueueStats(t *testing.T, statsAddr, socket string) (total, queue int) {
	t.Helper()
	var s struct {
		ListenQueue int `json:"listen_queue"`
		Sockets     []struct {
			Name  string `json:"name"`
			Queue int    `json:"queue"`
		} `json:"sockets"`
	}
	if err := json.Unmarshal(readStats(t, statsAddr), &s); err != nil {
		t.Fatal(err)
	}
	for _, so := range s.Sockets {
		if so.Name == socket {
			queue = so.Queue
		}
	}
	return s.ListenQueue, queue
}

// While the only core is busy, new connections wait in the kernel: the
// stats count them in listen_queue and the master warns once the queue is
// full, as real uWSGI does in the same scenario; then every one of them is
// served.
func TestListenQueueCountsConnectionsWaitingInTheKernel(t *testing.T) {
	type result struct {
		total, queue int
		warned       bool
		statuses     []string
	}
	scenario := func(t *testing.T, p *proc, haddr, statsAddr string) result {
		go fetch(&http.Client{Timeout: 20 * time.Second}, "http://"+haddr+"/sleep?ms=3000")
		time.Sleep(300 * time.Millisecond) // the sleeper holds the only core
		queued := queuedRequests(t, haddr, 3)
		var r result
		deadline := time.Now().Add(2500 * time.Millisecond)
		for time.Now().Before(deadline) && !r.warned {
			time.Sleep(100 * time.Millisecond)
			r.warned = strings.Contains(p.log.String(), "*** uWSGI listen queue of socket \""+haddr+"\"")
		}
		r.total, r.queue = listenQueueStats(t, statsAddr, haddr)
		for range 3 {
			r.statuses = append(r.statuses, <-queued)
		}
		return r
	}
	run := func(t *testing.T, bin string, args ...string) result {
		haddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		statsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := start(t, bin, nil, append(args, "--http-socket", haddr, "--stats", statsAddr,
			"--master", "--processes", "1", "--listen", "3", "--disable-logging")...)
		waitDial(t, "tcp", statsAddr, p)
		waitDial(t, "tcp", haddr, p)
		return scenario(t, p, haddr, statsAddr)
	}
	ours := run(t, bins.testapp)
	t.Logf("uwsgo: listen_queue %d, socket queue %d, warned %v, then %v", ours.total, ours.queue, ours.warned, ours.statuses)
	if ours.total != 3 || ours.queue != 3 || !ours.warned {
		t.Fatalf("uwsgo: listen_queue %d, socket queue %d, warned %v: want 3, 3, true", ours.total, ours.queue, ours.warned)
	}
	for _, s := range ours.statuses {
		if s != "HTTP/1.1 200 OK" {
			t.Fatalf("a queued connection got %q", s)
		}
	}

	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	app, err := filepath.Abs("../../internal/testapp/sleep.py") // testapp's /sleep for uWSGI
	if err != nil {
		t.Fatal(err)
	}
	theirs := run(t, uw, "--plugin", "python3", "--wsgi-file", app)
	t.Logf("uWSGI: listen_queue %d, socket queue %d, warned %v, then %v", theirs.total, theirs.queue, theirs.warned, theirs.statuses)
	if theirs.total != ours.total || theirs.queue != ours.queue || theirs.warned != ours.warned || len(theirs.statuses) != 3 {
		t.Fatalf("uWSGI and uwsgo disagree: %+v vs %+v", theirs, ours)
	}
}

// With --post-buffering a slow upload holds no core: four clients
// trickling request bodies to a bare --socket of two one-core workers do
// not hold back a good client.
func TestSlowUploadsHoldNoCoreWithPostBuffering(t *testing.T) {
	p, _, uaddr, _ := masterServer(t, nil, "--processes", "2", "--post-buffering", "65536", "--disable-logging")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		c, err := net.Dial("tcp", uaddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		vars := getVars("/echo")
		vars["REQUEST_METHOD"], vars["CONTENT_LENGTH"] = "POST", strconv.Itoa(1000)
		if _, err := c.Write(uwsgiPacket(0, vars)); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { // a byte every 200 ms, 20 at most
			for range 20 {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // the four uploads are under way
	worst := time.Duration(0)
	for i := range 30 {
		t0 := time.Now()
		if _, _, err := uwsgiGet("tcp", uaddr, "/view/"); err != nil {
			t.Fatalf("good request %d beside 4 slow uploads: %v", i, err)
		}
		worst = max(worst, time.Since(t0))
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("30 of 30 good requests beside 4 trickled uploads; worst %v", worst)
	if worst >= time.Second {
		t.Fatalf("a good request took %v: it waited for a core a slow upload held", worst)
	}
}
