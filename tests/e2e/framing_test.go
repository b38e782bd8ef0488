package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestHTTPVersions: a request line with HTTP/2.0 (or any major other than
// 1) gets 505, as plain net/http and nginx answer; HTTP/1.2 is served as
// HTTP/1.x by all three.
func TestHTTPVersions(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil)
	addr := strings.TrimPrefix(base, "http://")
	ref := netHTTPRef(t, http.HandlerFunc(readHandler))
	sock := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := start(t, bins.testapp, nil, "--socket", sock)
	waitDial(t, "tcp", sock, up)
	targets := map[string]string{"uwsgo": addr, "net/http": ref}
	if _, err := exec.LookPath("nginx"); err == nil || os.Getenv("UWSGO_REQUIRE_PEERS") != "" {
		targets["nginx"] = "127.0.0.1:" + startNginx(t, sock)[0]
	}
	for _, tc := range []struct {
		proto string
		want  int
	}{{"HTTP/2.0", 505}, {"HTTP/3.0", 505}, {"HTTP/1.2", 200}} {
		for name, a := range targets {
			logged := "unsupported HTTP version \"" + tc.proto + "\""
			before := strings.Count(p.log.String(), logged)
			code, body := exchange(t, a, []byte("GET /read "+tc.proto+"\r\nHost: x\r\nConnection: close\r\n\r\n"), false)
			if code != tc.want {
				t.Errorf("%s, %s: %d %q, want %d", name, tc.proto, code, body, tc.want)
			}
			if name == "uwsgo" && tc.want == 505 {
				logsOnce(t, p, logged, before)
			}
		}
	}
	if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("good request after: %d %q", code, body)
	}
}

// TestAbsoluteFormTarget: GET http://host/path reaches the app as plain
// net/http has it (RFC 9112 section 3.2.2): the path is the target's path
// and the host is the target's, whatever the Host header says; PATH_INFO
// and HTTP_HOST follow.
func TestAbsoluteFormTarget(t *testing.T) {
	_, base := httpServer(t, bins.testapp, nil)
	addr := strings.TrimPrefix(base, "http://")
	ref := netHTTPRef(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s", r.Host, r.URL.Path, r.URL.RawQuery)
	}))
	req := []byte("GET http://example.com:8080/vars/a%20b?x=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n")
	code, body := exchange(t, ref, req, false)
	if code != 200 || body != "example.com:8080 /vars/a b x=1" {
		t.Fatalf("plain net/http: %d %q", code, body)
	}
	code, body = exchange(t, addr, req, false)
	var got seen
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("%d %q %v", code, body, err)
	}
	if fmt.Sprintf("%s %s %s", got.Host, got.Path, got.Query) != "example.com:8080 /vars/a b x=1" {
		t.Errorf("net/http handler saw host %q path %q query %q", got.Host, got.Path, got.Query)
	}
	if v := got.Vars; v["PATH_INFO"] != "/vars/a b" || v["HTTP_HOST"] != "example.com:8080" || v["REQUEST_URI"] != "/vars/a%20b?x=1" || v["QUERY_STRING"] != "x=1" {
		t.Errorf("vars %v", v)
	}
	// Behind nginx (which parses the target itself) on --socket: the same path.
	if _, err := exec.LookPath("nginx"); err != nil && os.Getenv("UWSGO_REQUIRE_PEERS") == "" {
		return
	}
	sock := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := start(t, bins.testapp, nil, "--socket", sock)
	waitDial(t, "tcp", sock, up)
	code, body = exchange(t, "127.0.0.1:"+startNginx(t, sock)[0], req, false)
	got = seen{}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("through nginx: %d %q %v", code, body, err)
	}
	if got.Vars["PATH_INFO"] != "/vars/a b" || got.Path != "/vars/a b" {
		t.Errorf("through nginx: vars %v", got.Vars)
	}
	t.Logf("through nginx: HTTP_HOST %q, REQUEST_URI %q", got.Vars["HTTP_HOST"], got.Vars["REQUEST_URI"])
}

// TestErrorAnswerNotReset: a 431 for a one-megabyte request line reaches
// the client every time, followed by a clean end of stream: the server
// shuts down writing and drains what the client still sends before
// closing, as net/http does, instead of closing on unread bytes (which
// sends a reset that can destroy the answer).
func TestErrorAnswerNotReset(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil)
	addr := strings.TrimPrefix(base, "http://")
	req := []byte("GET /" + strings.Repeat("a", 1<<20) + " HTTP/1.1\r\nHost: x\r\n\r\n")
	answered, clean := 0, 0
	for range 30 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		go c.Write(req)
		br := bufio.NewReader(c)
		if resp, err := http.ReadResponse(br, nil); err == nil && resp.StatusCode == 431 {
			answered++
			io.Copy(io.Discard, resp.Body)
			if _, err := io.Copy(io.Discard, br); err == nil {
				clean++ // a FIN, not a reset
			} else {
				t.Logf("after the 431: %v", err)
			}
		}
		c.Close()
	}
	if answered != 30 || clean != 30 {
		t.Errorf("of 30 one-megabyte request lines, %d got their 431 and %d a clean close after it", answered, clean)
	}
	time.Sleep(200 * time.Millisecond) // the log is written asynchronously
	if n := strings.Count(p.log.String(), "over --buffer-size"); n != 30 {
		t.Errorf("%d log lines for 30 bad requests", n)
	}
	if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("good request after: %d %q", code, body)
	}
}
