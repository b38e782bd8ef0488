package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSlowAndIdleClientsDoNotStarveGoodOnes: 200 connections trickling a
// byte a second and 200 idle ones against --processes 2 --goroutines 8; a
// good client's every request is answered, and the tricklers are cut at
// --socket-timeout on both socket kinds.
func TestSlowAndIdleClientsDoNotStarveGoodOnes(t *testing.T) {
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "2", "--goroutines", "8", "--socket-timeout", "3", "--disable-logging")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	haddr := strings.TrimPrefix(base, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 400 {
		addr := haddr
		if i%4 == 3 {
			addr = uaddr
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	slow := conns[:200]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	cut := make([]bool, len(slow))
	for i, c := range slow {
		wg.Add(1)
		go func() { // one byte a second, bounded to 10 s
			defer wg.Done()
			for range 10 {
				if _, err := c.Write([]byte("G")); err != nil {
					cut[i] = true
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
			}
		}()
	}
	var lat []time.Duration
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 60 {
		t0 := time.Now()
		resp, err := client.Get(fmt.Sprintf("%s/view/%d", base, i))
		if err != nil {
			t.Fatalf("good request %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("good request %d: %d", i, resp.StatusCode)
		}
		lat = append(lat, time.Since(t0))
		time.Sleep(50 * time.Millisecond)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("60/60 good requests answered beside 200 slow and 200 idle connections: p50 %v, p99 %v, max %v",
		lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	// The tricklers were cut at --socket-timeout: reading them ends, with
	// EOF or, when the server closed while a trickled byte was unread, a
	// reset (deadlines past 0.5 s fire within 0.1 s, so the cut may come just
	// after the fourth byte).
	cutCount := 0
	for _, c := range slow {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadAll(c); err == nil || errors.Is(err, syscall.ECONNRESET) {
			cutCount++
		}
	}
	close(stop)
	wg.Wait()
	if cutCount != len(slow) {
		t.Fatalf("%d of %d trickling connections were closed by the server", cutCount, len(slow))
	}
}

func TestMaxConnsSheds(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--max-conns", "20", "--socket-timeout", "30", "--http-timeout", "30")
	addr := strings.TrimPrefix(base, "http://")
	// Twenty keep-alive connections, each proven accepted by a request it
	// got answered (a bare dial could still sit in the accept queue).
	var idle []net.Conn
	for i := range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("keep-alive connection %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		c.SetDeadline(time.Time{})
	}
	time.Sleep(100 * time.Millisecond) // waitDial's probe connection is closed by now
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\n\r\n")
	reply, _ := io.ReadAll(c)
	c.Close()
	if !strings.HasPrefix(string(reply), "HTTP/1.1 503") || !strings.Contains(string(reply), "Retry-After: 1") {
		t.Fatalf("the 21st connection got %q", reply)
	}
	p.waitLog("--max-conns 20 reached", 5*time.Second)
	for _, c := range idle {
		c.Close()
	}
	time.Sleep(200 * time.Millisecond)
	if code, _ := get(t, nil2(), base+"/view/"); code != 200 {
		t.Fatalf("after the idle connections closed: %d", code)
	}
	p.waitLog("back under --max-conns 20: 1 connections were shed", 5*time.Second)
}

// --queue-timeout bounds the wait of a request on a connection the worker
// already holds (a keep-alive one): 503 with Retry-After, and the
// connection closes, so the client's next connection can go to any worker.
// A new connection is not accepted while every core is busy: it waits in
// the kernel's listen queue and is served once a core frees.
func TestQueueTimeout(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--goroutines", "1", "--queue-timeout", "300")
	addr := strings.TrimPrefix(base, "http://")
	kept, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	kept.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(kept)
	ask := func() *http.Response {
		fmt.Fprintf(kept, "GET /view/ HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := ask(); resp.StatusCode != 200 {
		t.Fatalf("first request on the kept connection: %d", resp.StatusCode)
	}
	done := make(chan int)
	go func() {
		code, _, _ := fetch(oneShotClient(), base+"/sleep?ms=2500")
		done <- code
	}()
	p.waitLog("testapp: sleep start", 5*time.Second)
	fresh := make(chan string, 1)
	go func() { // a new connection while the only core is busy
		t0 := time.Now()
		code, _, err := fetch(oneShotClient(), base+"/view/")
		fresh <- fmt.Sprintf("%d %v after %v", code, err, time.Since(t0).Round(time.Millisecond))
	}()
	t0 := time.Now()
	resp := ask()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !resp.Close {
		t.Fatalf("a kept connection's request while the only core is busy: %d %v", resp.StatusCode, resp.Header)
	}
	t.Logf("503 after %v waiting for a core", time.Since(t0))
	p.waitLog("every core busy for --queue-timeout", 5*time.Second)
	if code := <-done; code != 200 {
		t.Fatalf("the request holding the core: %d", code)
	}
	got := <-fresh
	if !strings.HasPrefix(got, "200 <nil>") {
		t.Fatalf("the new connection made while the core was busy: %s, want 200 once it freed", got)
	}
	t.Logf("the new connection waited in the listen queue and got %s", got)
}
