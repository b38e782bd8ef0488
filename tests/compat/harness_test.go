package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/tests/compat/probes"
)

var appBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "uwsgo-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "app")
	// The app is built with the race detector: retained requests and
	// hijacked connections are where a race would show.
	cmd := exec.Command("go", "build", "-race", "-o", appBin, "./cmd/app")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/app: %v\n%s", err, b)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// target is one way of serving the probes.
type target struct {
	name   string
	base   string       // http://host:port as a client addresses it
	client *http.Client // one request per connection on uwsgi sockets
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	kind   string // "net/http", "http-socket", "socket" (raw uwsgi client) or "nginx"
	proc   *proc
}

// websocketBackend is a plain net/http websocket echo server, the reverse
// proxy probe's upstream.
func websocketBackend(t *testing.T) string {
	ts := httptest.NewServer(http.HandlerFunc(probes.GorillaEcho))
	t.Cleanup(ts.Close)
	return ts.URL
}

// stdTarget serves the probes with plain net/http.
func stdTarget(t *testing.T, backend string) *target {
	ts := httptest.NewServer(probes.Handler(backend))
	t.Cleanup(ts.Close)
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &target{name: "net/http", kind: "net/http", base: ts.URL, dial: d.DialContext,
		client: &http.Client{Timeout: 20 * time.Second}}
}

// uwsgoTargets starts the app with an HTTP socket and a uwsgi socket and
// returns both targets (the uwsgi one through a raw uwsgi client).
func uwsgoTargets(t *testing.T, backend string, extra ...string) (httpT, sockT *target) {
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	sockAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"--http-socket", httpAddr, "--socket", sockAddr, "--goroutines", "64", "--disable-logging"}, extra...)
	p := start(t, appBin, []string{"PROBE_BACKEND=" + backend}, args...)
	waitDial(t, httpAddr, p)
	waitDial(t, sockAddr, p)
	d := &net.Dialer{Timeout: 5 * time.Second}
	httpT = &target{name: "uwsgo --http-socket", kind: "http-socket", base: "http://" + httpAddr, dial: d.DialContext,
		client: &http.Client{Timeout: 20 * time.Second}, proc: p}
	udial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, sockAddr)
		if err != nil {
			return nil, err
		}
		return &uwsgiConn{Conn: c}, nil
	}
	sockT = &target{name: "uwsgo --socket (raw uwsgi client)", kind: "socket", base: "http://uwsgi.test", dial: udial, proc: p,
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: udial, DisableKeepAlives: true}}}
	return httpT, sockT
}

// uwsgiConn is a client connection to a uwsgi socket that turns the HTTP
// request written on it into a uwsgi packet (the vars nginx's uwsgi_params
// send), then passes bytes through both ways: any HTTP client (net/http's,
// gorilla's, coder's) can talk to a --socket with it.
type uwsgiConn struct {
	net.Conn
	head []byte
	sent bool
}

func (c *uwsgiConn) Write(p []byte) (int, error) {
	if c.sent {
		return c.Conn.Write(p)
	}
	c.head = append(c.head, p...)
	i := bytes.Index(c.head, []byte("\r\n\r\n"))
	if i < 0 {
		return len(p), nil
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.head[:i+4])))
	if err != nil {
		return 0, err
	}
	c.sent = true
	pkt := uwsgiPacket(requestVars(req))
	if _, err := c.Conn.Write(append(pkt, c.head[i+4:]...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// requestVars are the uwsgi vars of req, as nginx's uwsgi_params give them.
func requestVars(req *http.Request) map[string]string {
	path, _ := url.PathUnescape(req.URL.EscapedPath())
	v := map[string]string{
		"REQUEST_METHOD": req.Method, "REQUEST_URI": req.RequestURI, "PATH_INFO": path,
		"QUERY_STRING": req.URL.RawQuery, "SERVER_PROTOCOL": req.Proto, "HTTP_HOST": req.Host,
		"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "5555", "SERVER_NAME": "uwsgi.test", "SERVER_PORT": "80",
		"CONTENT_TYPE": req.Header.Get("Content-Type"), "CONTENT_LENGTH": req.Header.Get("Content-Length"),
	}
	for k, vv := range req.Header {
		if k == "Content-Type" || k == "Content-Length" {
			continue
		}
		v["HTTP_"+strings.ReplaceAll(strings.ToUpper(k), "-", "_")] = strings.Join(vv, ", ")
	}
	return v
}

// uwsgiPacket encodes a request packet (modifier1 0, as nginx sends).
func uwsgiPacket(vars map[string]string) []byte {
	var block []byte
	for k, v := range vars {
		block = binary.LittleEndian.AppendUint16(block, uint16(len(k)))
		block = append(block, k...)
		block = binary.LittleEndian.AppendUint16(block, uint16(len(v)))
		block = append(block, v...)
	}
	pkt := []byte{0, 0, 0, 0}
	binary.LittleEndian.PutUint16(pkt[1:3], uint16(len(block)))
	return append(pkt, block...)
}

// nginxTarget puts nginx uwsgi_pass in front of the uwsgi socket of sock.
func nginxTarget(t *testing.T, sock *target) *target {
	nginx := requirePeer(t, "nginx")
	dir := t.TempDir()
	port := freePort(t)
	up := strings.TrimPrefix(sock.proc.sockAddr(), "")
	conf := fmt.Sprintf(`daemon off; master_process off; worker_processes 1;
error_log %[1]s/error.log; pid %[1]s/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; uwsgi_temp_path %[1]s/uwsgi;
  fastcgi_temp_path %[1]s/fcgi; scgi_temp_path %[1]s/scgi;
  server { listen 127.0.0.1:%[2]d; client_max_body_size 16m;
    location / { include /etc/nginx/uwsgi_params; uwsgi_pass %[3]s; uwsgi_buffering off; } }
}
`, dir, port, up)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, nginx, nil, "-c", path, "-e", filepath.Join(dir, "error.log"))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitDial(t, addr, p)
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &target{name: "nginx uwsgi_pass → uwsgo --socket", kind: "nginx", base: "http://" + addr, dial: d.DialContext,
		client: &http.Client{Timeout: 20 * time.Second}, proc: sock.proc}
}

func requirePeer(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("UWSGO_REQUIRE_PEERS") != "" {
			t.Fatalf("%s is not installed; CI must install it (.ci/run)", name)
		}
		t.Skipf("%s is not installed: skipping (apt-get install it to run this test)", name)
	}
	return path
}

// proc is a started server process, stopped by PID when the test ends.
type proc struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	err  error
	args []string
}

func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{log: &syncBuffer{}, done: make(chan struct{}), args: args}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if strings.Contains(p.log.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in %s", bin)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", filepath.Base(bin), p.log.String())
		}
	})
	return p
}

// alive reports whether the process still runs.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// sockAddr is the --socket address the process was started with.
func (p *proc) sockAddr() string {
	for i, a := range p.args {
		if a == "--socket" && i+1 < len(p.args) {
			return p.args[i+1]
		}
	}
	return ""
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort returns a port on 127.0.0.1 free a moment ago, never the same twice.
func freePort(t *testing.T) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no fresh free port")
	return 0
}

func waitDial(t *testing.T, addr string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if !p.alive() {
			t.Fatalf("server exited early (%v):\n%s", p.err, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never accepted:\n%s", addr, p.log.String())
}

// get fetches path and returns status, body and headers (status -1 and
// the error text when the exchange failed).
func (tg *target) get(method, path string, body io.Reader, hdr map[string]string) (int, string, http.Header) {
	req, _ := http.NewRequest(method, tg.base+path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := tg.client.Do(req)
	if err != nil {
		return -1, err.Error(), nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, string(b) + " (error: " + errKind(err) + ")", resp.Header
	}
	return resp.StatusCode, string(b), resp.Header
}

// errKind names an error as far as it matters for comparing servers.
func errKind(err error) string {
	switch {
	case err == nil:
		return "nil"
	case err == io.ErrUnexpectedEOF || strings.Contains(err.Error(), "unexpected EOF"):
		return "unexpected EOF"
	case strings.Contains(err.Error(), "timeout"), strings.Contains(err.Error(), "deadline"):
		return "timeout"
	}
	return err.Error()
}
