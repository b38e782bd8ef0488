package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDeferAccept: as uWSGI, TCP sockets get TCP_DEFER_ACCEPT, so a client
// that connected and sent nothing holds no descriptor of a worker (here: it
// does not count against --max-conns 1). --no-defer-accept turns it off.
func TestDeferAccept(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantShed bool
	}{
		{nil, false},
		{[]string{"--no-defer-accept"}, true},
	} {
		args := append([]string{"--max-conns", "1", "--socket-timeout", "30"}, tc.args...)
		p, base := httpServer(t, bins.testapp, nil, args...)
		time.Sleep(100 * time.Millisecond) // waitDial's probe connection is closed by now
		silent, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		// A raw client: a shed connection gets its 503 before it sends.
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		reply, _ := io.ReadAll(c)
		c.Close()
		if shed := strings.HasPrefix(string(reply), "HTTP/1.1 503"); shed != tc.wantShed {
			t.Errorf("%v: a request beside a silent connection got %.40q (shed %v, want shed %v)", tc.args, reply, shed, tc.wantShed)
		}
		silent.Close()
		p.kill()
	}
}

// TestSoKeepalive: accepted TCP connections have no keep-alive probes
// unless --so-keepalive, as in uWSGI. The kernel shows a socket's
// keep-alive timer in /proc/net/tcp (timer kind 2).
func TestSoKeepalive(t *testing.T) {
	for _, on := range []bool{false, true} {
		var args []string
		if on {
			args = []string{"--so-keepalive"}
		}
		p, base := httpServer(t, bins.testapp, nil, args...)
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		serverPort := c.RemoteAddr().(*net.TCPAddr).Port
		clientPort := c.LocalAddr().(*net.TCPAddr).Port
		// Until the client's (possibly delayed) ACK of the response arrives,
		// the socket shows its retransmit timer (kind 1).
		var timer int
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			kind, ok := tcpTimer(t, serverPort, clientPort)
			if !ok {
				t.Fatalf("the server's end of %d→%d is not in /proc/net/tcp", clientPort, serverPort)
			}
			if timer = kind; kind != 1 || time.Now().After(deadline) {
				break
			}
		}
		if got := timer == 2; got != on {
			t.Errorf("--so-keepalive %v: the server's socket has timer kind %d (2 = keep-alive)", on, timer)
		}
		c.Close()
		p.kill()
	}
}

// tcpTimer finds the socket local:remote in /proc/net/tcp and returns its
// timer kind (0 none, 1 retransmit, 2 keep-alive, 3 TIME_WAIT, 4 probe).
func tcpTimer(t *testing.T, local, remote int) (int, bool) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skip("no /proc/net/tcp")
	}
	want := fmt.Sprintf("0100007F:%04X 0100007F:%04X", local, remote)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1]+" "+f[2] != want {
			continue
		}
		kind, _ := strconv.Atoi(strings.SplitN(f[5], ":", 2)[0])
		return kind, true
	}
	return 0, false
}

// TestKeepAliveDeadlines: the read deadlines an HTTP connection keeps by
// itself between requests. After a request (plain or streamed), the next
// may start up to --http-timeout later; once it started, its header must
// be complete within --socket-timeout (408).
func TestKeepAliveDeadlines(t *testing.T) {
	_, base := httpServer(t, bins.testapp, nil, "--http-timeout", "2", "--socket-timeout", "1")
	addr := strings.TrimPrefix(base, "http://")
	for _, path := range []string{"/view/", "/stream"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		ask := func() int {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		ask()
		// Idle for longer than --socket-timeout, less than --http-timeout:
		// the connection still serves.
		time.Sleep(1300 * time.Millisecond)
		if code := ask(); code != 200 {
			t.Fatalf("%s: second request after an idle pause: %d", path, code)
		}
		// Idle past --http-timeout: the server closes it.
		c.SetDeadline(time.Now().Add(10 * time.Second))
		start := time.Now()
		if n, err := br.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("%s: idle connection: read %d, %v; want the server to close it", path, n, err)
		}
		if idle := time.Since(start); idle < time.Second {
			t.Errorf("%s: idle connection closed after %v, before --http-timeout 2", path, idle)
		}
		c.Close()
	}
	// A request that starts but never ends its header: 408 after
	// --socket-timeout, on a connection that served a request before.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Fprintf(c, "GET /view/ HTTP/1.1\r\nHost: x\r\n")
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("unfinished header: %v, want a 408", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("unfinished header: %d, want 408", resp.StatusCode)
	}
}
