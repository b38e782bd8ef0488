package e2e

import (
	"bufio"
	"bytes"
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

// readHandler is the testapp's /read, for plain net/http: what the
// handler's read of the body returns.
func readHandler(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	fmt.Fprintf(w, "read %d: %v", n, err)
}

// netHTTPRef serves h with plain net/http on a free port, for comparison.
func netHTTPRef(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// exchange sends data on a new connection (from a goroutine, so that a
// large upload does not keep the answer from being read), shuts down
// writing when closeWrite is set, and returns the answer's status (0 when
// the connection closed without one) and body.
func exchange(t *testing.T, addr string, data []byte, closeWrite bool) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		if _, err := c.Write(data); err == nil && closeWrite {
			c.(*net.TCPConn).CloseWrite()
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logsOnce waits for the log to show want once more than before, and fails
// if it shows it twice.
func logsOnce(t *testing.T, p *proc, want string, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(p.log.String(), want) == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond) // a second line would be flushed by now
	if n := strings.Count(p.log.String(), want) - before; n != 1 {
		t.Errorf("%q logged %d times, want once", want, n)
	}
}

// chunked frames body as one chunk per size bytes, then the last chunk.
func chunked(body []byte, size int, ext string) []byte {
	var b bytes.Buffer
	for len(body) > 0 {
		n := min(size, len(body))
		fmt.Fprintf(&b, "%x%s\r\n%s\r\n", n, ext, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

const cutRequest = "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n"

// TestHTTPBodyCutShort: a body shorter than its Content-Length (70,000 of
// 300,000 bytes, then EOF) fails the handler's read with
// io.ErrUnexpectedEOF, for net/http and fasthttp handlers alike, as plain
// net/http does; one log line; a good request is served right after.
func TestHTTPBodyCutShort(t *testing.T) {
	data := append([]byte(cutRequest), bytes.Repeat([]byte("a"), 70000)...)
	want := "read 70000: unexpected EOF"
	if code, body := exchange(t, netHTTPRef(t, http.HandlerFunc(readHandler)), data, true); code != 200 || body != want {
		t.Fatalf("plain net/http: %d %q, want 200 %q", code, body, want)
	}
	for _, app := range []struct {
		name string
		env  []string
	}{{"net/http", nil}, {"fasthttp", []string{"TESTAPP_FAST=1"}}} {
		t.Run(app.name, func(t *testing.T) {
			p, base := httpServer(t, bins.testapp, app.env)
			addr := strings.TrimPrefix(base, "http://")
			logged := "cut short: 230000 of 300000 bytes missing"
			before := strings.Count(p.log.String(), logged)
			if code, body := exchange(t, addr, data, true); code != 200 || body != want {
				t.Errorf("%d %q, want 200 %q", code, body, want)
			}
			logsOnce(t, p, logged, before)
			// A body cut within its first 8 KiB is read before the handler
			// runs (fasthttp pre-reads that much): 400.
			small := "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("a", 3000)
			before = strings.Count(p.log.String(), "400 (request body cut short)")
			if code, body := exchange(t, addr, []byte(small), true); code != 400 {
				t.Errorf("cut within 8 KiB: %d %q, want 400", code, body)
			}
			logsOnce(t, p, "400 (request body cut short)", before)
			if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after: %d %q", code, body)
			}
		})
	}
}

// TestPostBufferingCutShort: with --post-buffering a body cut short (in
// memory or spooled to a file) never reaches the handler: 400, one log line.
func TestPostBufferingCutShort(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--post-buffering", "65536")
	addr := strings.TrimPrefix(base, "http://")
	for _, tc := range []struct {
		name     string
		cl, sent int
	}{{"spooled to a file", 300000, 70000}, {"in memory", 30000, 20000}} {
		t.Run(tc.name, func(t *testing.T) {
			logged := fmt.Sprintf("cut short: %d of %d bytes missing", tc.cl-tc.sent, tc.cl)
			before := strings.Count(p.log.String(), logged)
			ran := strings.Count(p.log.String(), "POST /read => generated")
			data := fmt.Appendf(nil, "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", tc.cl, strings.Repeat("a", tc.sent))
			if code, body := exchange(t, addr, data, true); code != 400 {
				t.Errorf("%d %q, want 400", code, body)
			}
			logsOnce(t, p, logged, before)
			if strings.Contains(p.log.String(), "read "+strconv.Itoa(tc.sent)) {
				t.Errorf("the handler ran on the incomplete body")
			}
			if n := strings.Count(p.log.String(), "POST /read => generated 11 bytes in"); n != ran+1 {
				t.Errorf("request log: %d lines for the 400, want 1", n-ran)
			}
			if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after: %d %q", code, body)
			}
		})
	}
}

// TestUwsgiBodyCutShort: on --socket (a raw uwsgi client, as nginx with
// uwsgi_request_buffering off would be) the same cut body fails the
// handler's read, and with --post-buffering it never reaches the handler.
func TestUwsgiBodyCutShort(t *testing.T) {
	vars := getVars("/read")
	vars["REQUEST_METHOD"], vars["CONTENT_LENGTH"] = "POST", "300000"
	data := append(uwsgiPacket(0, vars), bytes.Repeat([]byte("a"), 70000)...)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string // the answer's body; "" when the handler must not run
	}{
		{"net/http", nil, nil, "read 70000: unexpected EOF"},
		{"fasthttp", []string{"TESTAPP_FAST=1"}, nil, "read 70000: unexpected EOF"},
		{"post-buffering", nil, []string{"--post-buffering", "65536"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			p := start(t, bins.testapp, tc.env, append([]string{"--socket", addr}, tc.args...)...)
			waitDial(t, "tcp", addr, p)
			logged := "cut short: 230000 of 300000 bytes missing"
			before := strings.Count(p.log.String(), logged)
			code, body := exchange(t, addr, data, true)
			switch {
			case tc.want != "" && (code != 200 || body != tc.want):
				t.Errorf("%d %q, want 200 %q", code, body, tc.want)
			case tc.want == "" && (code == 200 || strings.HasPrefix(body, "read")):
				t.Errorf("%d %q: the handler ran on the incomplete body", code, body)
			}
			logsOnce(t, p, logged, before)
			if _, body, err := uwsgiGet("tcp", addr, "/view/"); err != nil || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after: %q %v", body, err)
			}
		})
	}
}

// TestChunkedLimitPost: --limit-post counts a chunked body's decoded
// bytes: a body at the limit is read whole, one past it fails the read
// with 413 and the connection closes; one log line; a good request after.
func TestChunkedLimitPost(t *testing.T) {
	for _, app := range []struct {
		name string
		env  []string
	}{{"net/http", nil}, {"fasthttp", []string{"TESTAPP_FAST=1"}}} {
		t.Run(app.name, func(t *testing.T) {
			p, base := httpServer(t, bins.testapp, app.env, "--limit-post", "100000")
			addr := strings.TrimPrefix(base, "http://")
			head := []byte("POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
			at := append(head, chunked(bytes.Repeat([]byte("a"), 100000), 7000, "")...)
			if code, body := exchange(t, addr, at, false); code != 200 || body != "read 100000: <nil>" {
				t.Errorf("at the limit: %d %q", code, body)
			}
			logged := "over --limit-post 100000 (chunked): 413"
			before := strings.Count(p.log.String(), logged)
			over := append(head, chunked(bytes.Repeat([]byte("a"), 3000000), 65536, "")...)
			if code, body := exchange(t, addr, over, false); code != 413 {
				t.Errorf("over the limit: %d %q, want 413", code, body)
			}
			logsOnce(t, p, logged, before)
			if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after: %d %q", code, body)
			}
		})
	}
}

// TestChunkExtensions: chunk framing may not outgrow its data, as net/http
// rules (CVE-2023-39326): a 10 MB extension on a 5-byte chunk gets 400 and
// one log line, and plain net/http fails the read too; many small chunks
// with short extensions are fine on both.
func TestChunkExtensions(t *testing.T) {
	ref := netHTTPRef(t, http.HandlerFunc(readHandler))
	head := []byte("POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	fine := append(head, chunked(bytes.Repeat([]byte("a"), 3000), 1, ";a=b")...)
	huge := append(head, "5;"...)
	huge = append(huge, bytes.Repeat([]byte("x"), 10<<20)...)
	huge = append(huge, "\r\nhello\r\n0\r\n\r\n"...)
	if code, body := exchange(t, ref, fine, false); code != 200 || body != "read 3000: <nil>" {
		t.Errorf("net/http, 1-byte chunks with short extensions: %d %q", code, body)
	}
	if code, body := exchange(t, ref, huge, false); code == 200 && !strings.HasPrefix(body, "read 0: ") {
		t.Errorf("net/http read the body: %d %q", code, body)
	}
	for _, app := range []struct {
		name string
		env  []string
	}{{"net/http", nil}, {"fasthttp", []string{"TESTAPP_FAST=1"}}} {
		t.Run(app.name, func(t *testing.T) {
			p, base := httpServer(t, bins.testapp, app.env)
			addr := strings.TrimPrefix(base, "http://")
			if code, body := exchange(t, addr, fine, false); code != 200 || body != "read 3000: <nil>" {
				t.Errorf("1-byte chunks with short extensions: %d %q", code, body)
			}
			logged := "chunk extensions too long for the data they carry: 400"
			before := strings.Count(p.log.String(), logged)
			if code, body := exchange(t, addr, huge, false); code != 400 {
				t.Errorf("a 10 MB extension: %d %q, want 400", code, body)
			}
			logsOnce(t, p, logged, before)
			if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
				t.Fatalf("good request after: %d %q", code, body)
			}
		})
	}
}

// TestChunkedUploadMemory: a rejected 300 MB chunked upload leaves the
// worker's RSS within 16 MiB of what it was, whether the handler streams
// the body (/echo) or reads it whole (/vars).
func TestChunkedUploadMemory(t *testing.T) {
	p, base := httpServer(t, bins.testapp, nil, "--limit-post", "1000000")
	addr := strings.TrimPrefix(base, "http://")
	head := "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	// Warm up: the first requests grow the heap to its working size.
	small := append(fmt.Appendf(nil, head, "/vars"), chunked(bytes.Repeat([]byte("a"), 500000), 65536, "")...)
	for range 3 {
		if code, _ := exchange(t, addr, small, false); code != 200 {
			t.Fatalf("warm-up: %d", code)
		}
	}
	before := rssKB(p.cmd.Process.Pid)
	chunk := append([]byte("10000\r\n"), bytes.Repeat([]byte("a"), 65536)...)
	chunk = append(chunk, "\r\n"...)
	for _, path := range []string{"/echo", "/vars"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		fmt.Fprintf(c, head, path)
		sent := 0
		for sent < 300<<20 { // stops when the server closes
			n, err := c.Write(chunk)
			sent += n
			if err != nil {
				break
			}
		}
		c.Close()
		t.Logf("%s: %d MB sent before the server closed", path, sent>>20)
		if sent >= 300<<20 {
			t.Errorf("%s: the server took the whole 300 MB", path)
		}
	}
	if code, body := get(t, nil2(), base+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("good request after: %d %q", code, body)
	}
	after := rssKB(p.cmd.Process.Pid)
	t.Logf("worker RSS %d kB before, %d kB after two rejected 300 MB chunked uploads", before, after)
	if after-before > 16<<10 {
		t.Errorf("RSS grew by %d kB", after-before)
	}
}

// TestNginxBodies: behind nginx on --socket, what nginx passes on: a body
// cut short while nginx streams it (uwsgi_request_buffering off) fails the
// handler's read, logged once; a chunked upload over --limit-post (nginx
// sends it with its length) is refused, logged once; a good request after.
func TestNginxBodies(t *testing.T) {
	requirePeer(t, "nginx")
	sock := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", sock, "--limit-post", "1000000")
	waitDial(t, "tcp", sock, p)
	ports := startNginxWith(t, "uwsgi_request_buffering off;", sock)
	front := "127.0.0.1:" + ports[0]

	logged := "of 300000 bytes missing" // of what nginx has passed on by then
	before := strings.Count(p.log.String(), logged)
	c, err := net.Dial("tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	read0 := readBytes(p.cmd.Process.Pid)
	c.Write(append([]byte(cutRequest), bytes.Repeat([]byte("a"), 70000)...))
	// Close once nginx has streamed the 70,000 bytes to the app.
	for deadline := time.Now().Add(10 * time.Second); readBytes(p.cmd.Process.Pid)-read0 < 70000 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	c.Close()
	logsOnce(t, p, logged, before)

	logged = "Invalid (too big) CONTENT_LENGTH"
	before = strings.Count(p.log.String(), logged)
	head := []byte("POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
	if code, body := exchange(t, front, append(head, chunked(bytes.Repeat([]byte("a"), 3000000), 65536, "")...), false); code == 200 {
		t.Errorf("over --limit-post through nginx: %d %q", code, body)
	}
	logsOnce(t, p, logged, before)
	if code, body := get(t, nil2(), "http://"+front+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("good request after: %d %q", code, body)
	}
}

// readBytes is how many bytes process pid has read (rchar of /proc/PID/io).
func readBytes(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// TestLogIOError: with --disable-logging --log-ioerror, the request whose
// body was cut short is still in the request log, on both socket kinds,
// and a good request is not.
func TestLogIOError(t *testing.T) {
	hp, base := httpServer(t, bins.testapp, nil, "--disable-logging", "--log-ioerror")
	sock := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := start(t, bins.testapp, nil, "--socket", sock, "--disable-logging", "--log-ioerror")
	waitDial(t, "tcp", sock, up)
	vars := getVars("/read")
	vars["REQUEST_METHOD"], vars["CONTENT_LENGTH"] = "POST", "300000"
	body := bytes.Repeat([]byte("a"), 70000)
	for _, tc := range []struct {
		name string
		p    *proc
		addr string
		send []byte
		good func() string
	}{
		{"http", hp, strings.TrimPrefix(base, "http://"), append([]byte(cutRequest), body...), func() string { _, b := get(t, nil2(), base+"/view/"); return b }},
		{"uwsgi", up, sock, append(uwsgiPacket(0, vars), body...), func() string { _, b, _ := uwsgiGet("tcp", sock, "/view/"); return b }},
	} {
		if b := tc.good(); b != "<h1>Hello World</h1>" {
			t.Fatalf("%s: good request: %q", tc.name, b)
		}
		exchange(t, tc.addr, tc.send, true)
		logsOnce(t, tc.p, "POST /read => generated", 0)
		if strings.Contains(tc.p.log.String(), "GET /view/ =>") {
			t.Errorf("%s: a good request was logged under --disable-logging", tc.name)
		}
	}
}
