package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startNginx runs nginx in the foreground with one server per upstream,
// each passing everything with uwsgi_pass; it returns the nginx ports.
func startNginx(t *testing.T, upstreams ...string) []string {
	t.Helper()
	return startNginxWith(t, "", upstreams...)
}

// startNginxWith is startNginx with extra directives in each location.
func startNginxWith(t *testing.T, extra string, upstreams ...string) []string {
	t.Helper()
	nginx := requirePeer(t, "nginx")
	dir := t.TempDir()
	var servers strings.Builder
	var ports []string
	for _, up := range upstreams {
		port := freePort(t)
		ports = append(ports, fmt.Sprint(port))
		fmt.Fprintf(&servers, "  server { listen 127.0.0.1:%d; client_max_body_size 8m;\n"+
			"    location / { include /etc/nginx/uwsgi_params; uwsgi_pass %s; %s } }\n", port, up, extra)
	}
	conf := fmt.Sprintf(`daemon off; master_process off; worker_processes 1;
error_log %[1]s/error.log; pid %[1]s/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; uwsgi_temp_path %[1]s/uwsgi;
  fastcgi_temp_path %[1]s/fcgi; scgi_temp_path %[1]s/scgi;
%[2]s}
`, dir, servers.String())
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, nginx, nil, "-c", path, "-e", filepath.Join(dir, "error.log"))
	for _, port := range ports {
		waitDial(t, "tcp", "127.0.0.1:"+port, p)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", b)
		}
	})
	return ports
}

type seen struct {
	Vars          map[string]string   `json:"vars"`
	Method        string              `json:"method"`
	URI           string              `json:"uri"`
	Path          string              `json:"path"`
	Query         string              `json:"query"`
	Host          string              `json:"host"`
	Remote        string              `json:"remote"`
	Header        map[string][]string `json:"header"`
	Body          string              `json:"body"`
	ContentLength int64               `json:"contentLength"`
}

func doJSON(t *testing.T, c *http.Client, method, url, body string, hdr map[string]string) seen {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: status %d: %s", method, url, resp.StatusCode, b)
	}
	var s seen
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, b)
	}
	return s
}

func TestNginxUwsgiPass(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "app.sock")
	tcp := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", tcp, "--socket", sock, "--goroutines", "16", "--disable-logging")
	waitDial(t, "tcp", tcp, p)
	ports := startNginx(t, tcp, "unix:"+sock)
	for i, port := range ports {
		t.Run([]string{"tcp", "unix"}[i], func(t *testing.T) { checkThroughNginx(t, "http://127.0.0.1:"+port) })
	}
}

func checkThroughNginx(t *testing.T, base string) {
	c := &http.Client{Timeout: 30 * time.Second}
	s := doJSON(t, c, "GET", base+"/vars/a%20b/c?x=1&y=%20", "", map[string]string{"X-Custom-Thing": "hello", "Cookie": "k=v"})
	if s.Method != "GET" || s.URI != "/vars/a%20b/c?x=1&y=%20" || s.Path != "/vars/a b/c" || s.Query != "x=1&y=%20" {
		t.Errorf("request line seen as %+v", s)
	}
	if s.Vars["HTTP_X_CUSTOM_THING"] != "hello" || s.Header["X-Custom-Thing"][0] != "hello" || s.Vars["PATH_INFO"] != "/vars/a b/c" {
		t.Errorf("headers/vars: %v %v", s.Vars, s.Header)
	}
	if !strings.HasPrefix(s.Remote, "127.0.0.1:") || s.Vars["REMOTE_ADDR"] != "127.0.0.1" || s.Host != "127.0.0.1" {
		t.Errorf("remote %q host %q", s.Remote, s.Host)
	}
	for _, m := range []string{"PUT", "DELETE", "POST", "PATCH"} {
		if s := doJSON(t, c, m, base+"/vars", "payload-"+m, nil); s.Method != m || s.Body != "payload-"+m {
			t.Errorf("%s seen as %s with body %q", m, s.Method, s.Body)
		}
	}
	resp, err := c.Head(base + "/view/")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("HEAD: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// A 1 MiB upload is echoed byte for byte.
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	sum := sha256.Sum256(payload)
	resp, err = c.Post(base+"/echo", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if h := sha256.Sum256(got); h != sum || resp.StatusCode != 200 {
		t.Fatalf("1 MiB echo: status %d, %d bytes, sha256 %s want %s", resp.StatusCode, len(got), hex.EncodeToString(h[:8]), hex.EncodeToString(sum[:8]))
	}
	// Keep-alive between the client and nginx.
	var reused atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused.Store(i.Reused) }}
	for range 2 {
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+"/view/", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if !reused.Load() {
		t.Error("the client's connection to nginx was not kept alive")
	}
	// A few thousand requests under concurrency: no 5xx.
	var bad, done atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 150 {
				resp, err := c.Get(base + "/view/")
				if err != nil || resp.StatusCode >= 500 {
					bad.Add(1)
				}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of %d requests through nginx failed", bad.Load(), done.Load())
	}
}
