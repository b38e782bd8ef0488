package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// staticServer runs the test app alone (no master: its descriptors are
// the server's) with a --static-map of dir at /s, on an HTTP and a uwsgi
// socket.
func staticServer(t *testing.T, dir string, extra ...string) (p *proc, base, uaddr string) {
	t.Helper()
	haddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	uaddr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"--http-socket", haddr, "--socket", uaddr, "--goroutines", "8", "--static-map", "/s=" + dir}, extra...)
	p = start(t, bins.testapp, nil, args...)
	waitDial(t, "tcp", haddr, p)
	return p, "http://" + haddr, uaddr
}

// TestStaticCacheServesChanges changes a file between requests on one
// kept-alive connection, in each of the ways a deploy or an editor does,
// and expects each response to be the file as it now is, though the worker
// keeps the file open between requests.
func TestStaticCacheServesChanges(t *testing.T) {
	dir := t.TempDir()
	_, base, _ := staticServer(t, dir)
	file := filepath.Join(dir, "f.txt")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	expect := func(step string, code int, want string) *http.Response {
		t.Helper()
		resp, err := client.Get(base + "/s/f.txt")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != code || code == 200 && string(b) != want || code != 200 && strings.Contains(string(b), want) {
			t.Fatalf("%s: %d %q, want %d %q", step, resp.StatusCode, b, code, want)
		}
		return resp
	}
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("first version")
	expect("new file", 200, "first version")
	expect("the same file again", 200, "first version")

	// In place, the same size, without truncating.
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("FIRST"), 0)
	f.Close()
	expect("rewritten in place", 200, "FIRST version")

	if err := os.Truncate(file, 5); err != nil {
		t.Fatal(err)
	}
	expect("truncated", 200, "FIRST")

	af, _ := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	af.WriteString(" and more")
	af.Close()
	expect("appended to", 200, "FIRST and more")

	old := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	os.Chtimes(file, old, old)
	if lm := expect("mtime set back", 200, "FIRST and more").Header.Get("Last-Modified"); lm != old.Format(http.TimeFormat) {
		t.Fatalf("Last-Modified %q after the mtime was set to %v", lm, old)
	}

	tmp := filepath.Join(dir, "f.txt.new")
	os.WriteFile(tmp, []byte("replaced by a rename"), 0o644)
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	expect("replaced by rename", 200, "replaced by a rename")

	os.Remove(file)
	expect("deleted (the app answers)", 404, "replaced")

	write("back again")
	expect("created again", 200, "back again")
}

// TestStaticSendfile serves files through sendfile(2): 1 MiB, one larger
// than the socket buffers, a Range of it, HEAD, a client that reads slowly
// and clients that go away mid-body, then checks that the server holds no
// descriptor more than before the first static request once the
// connections closed and the open-file cache let its files go.
func TestStaticSendfile(t *testing.T) {
	dir := t.TempDir()
	mid, big := make([]byte, 1<<20), make([]byte, 24<<20)
	rand.Read(mid)
	rand.Read(big)
	os.WriteFile(filepath.Join(dir, "mid.bin"), mid, 0o644)
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	p, base, uaddr := staticServer(t, dir)
	pid := p.cmd.Process.Pid
	fds := func() int {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	oneShot(t, "GET", base+"/view/", nil) // a fresh connection, closed by doReq's transport going away
	time.Sleep(100 * time.Millisecond)
	before := fds()

	for _, c := range []struct {
		name string
		want []byte
	}{{"mid.bin", mid}, {"big.bin", big}} {
		if r, b := oneShot(t, "GET", base+"/s/"+c.name, nil); r.StatusCode != 200 || !bytes.Equal(b, c.want) {
			t.Fatalf("GET %s: %d, %d bytes (equal: %v)", c.name, r.StatusCode, len(b), bytes.Equal(b, c.want))
		}
	}
	if r, b := oneShot(t, "GET", base+"/s/big.bin", map[string]string{"Range": "bytes=5000000-13999999"}); r.StatusCode != 206 ||
		!bytes.Equal(b, big[5000000:14000000]) || r.Header.Get("Content-Range") != fmt.Sprintf("bytes 5000000-13999999/%d", len(big)) {
		t.Fatalf("Range: %d, %d bytes, %v", r.StatusCode, len(b), r.Header)
	}
	if r, b := oneShot(t, "HEAD", base+"/s/big.bin", nil); r.StatusCode != 200 || len(b) != 0 || r.ContentLength != int64(len(big)) {
		t.Fatalf("HEAD: %d, %d bytes, length %d", r.StatusCode, len(b), r.ContentLength)
	}
	// The uwsgi socket serves the same bytes.
	if _, ub, err := uwsgiRequest("tcp", uaddr, map[string]string{"REQUEST_METHOD": "GET", "PATH_INFO": "/s/mid.bin", "REQUEST_URI": "/s/mid.bin"}, nil); err != nil || !bytes.HasSuffix(ub, mid) {
		t.Fatalf("uwsgi socket: %v, %d bytes", err, len(ub))
	}

	addr := strings.TrimPrefix(base, "http://")
	slowRead(t, addr, big)
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /s/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.ReadFull(c, make([]byte, 300<<10))
		c.Close() // mid-body
	}
	if r, b := oneShot(t, "GET", base+"/s/mid.bin", nil); r.StatusCode != 200 || !bytes.Equal(b, mid) {
		t.Fatalf("GET after the disconnects: %d, %d bytes", r.StatusCode, len(b))
	}
	// The cache closes files unused for a second; connections close when
	// the server sees their end.
	deadline := time.Now().Add(20 * time.Second)
	for fds() != before && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := fds(); n != before {
		t.Fatalf("the server has %d descriptors, %d before the static requests", n, before)
	}
}

// slowRead fetches /s/big.bin reading 64 KiB at a time with pauses, so that
// the server's sendfile meets a full socket buffer again and again.
func slowRead(t *testing.T, addr string, want []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(c, "GET /s/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	br := bufio.NewReaderSize(c, 64<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	buf := make([]byte, 64<<10)
	for i := 0; ; i++ {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
		if i%8 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if resp.StatusCode != 200 || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("slow reader: %d, %d bytes of %d (equal: %v)", resp.StatusCode, got.Len(), len(want), bytes.Equal(got.Bytes(), want))
	}
}

// TestStaticOverHTTPS serves the same files over TLS, which cannot use
// sendfile: the bodies are read and encrypted instead.
func TestStaticOverHTTPS(t *testing.T) {
	dir := t.TempDir()
	small, big := make([]byte, 16<<10), make([]byte, 3<<20)
	rand.Read(small)
	rand.Read(big)
	os.WriteFile(filepath.Join(dir, "small.bin"), small, 0o644)
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	ca := newTestCA(t, "static")
	_, addr := httpsServer(t, ca, "", nil, "--static-map", "/s="+dir)
	client := ca.client()
	base := "https://" + addr
	get := func(path, rng string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for range 2 { // a miss, then a hit of the open-file cache
		if r, b := get("/s/small.bin", ""); r.StatusCode != 200 || !bytes.Equal(b, small) {
			t.Fatalf("small: %d, %d bytes", r.StatusCode, len(b))
		}
		if r, b := get("/s/big.bin", ""); r.StatusCode != 200 || !bytes.Equal(b, big) {
			t.Fatalf("big: %d, %d bytes", r.StatusCode, len(b))
		}
		if r, b := get("/s/big.bin", "bytes=1000000-"); r.StatusCode != 206 || !bytes.Equal(b, big[1000000:]) {
			t.Fatalf("range: %d, %d bytes", r.StatusCode, len(b))
		}
	}
}

// oneShot is doReq on a connection of its own, closed after the response.
func oneShot(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestStaticSendfileUnixSocket: an --http-socket on a unix path sends
// files with sendfile too (header with MSG_MORE, which unix sockets
// ignore): the bodies arrive whole, a miss and a hit.
func TestStaticSendfileUnixSocket(t *testing.T) {
	dir := t.TempDir()
	small, big := make([]byte, 16<<10), make([]byte, 3<<20)
	rand.Read(small)
	rand.Read(big)
	os.WriteFile(filepath.Join(dir, "small.bin"), small, 0o644)
	os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644)
	sock := filepath.Join(t.TempDir(), "http.sock")
	p := start(t, bins.testapp, nil, "--http-socket", sock, "--static-map", "/s="+dir)
	waitDial(t, "unix", sock, p)
	client := unixClient(sock)
	defer client.CloseIdleConnections()
	for range 2 {
		for _, c := range []struct {
			path string
			want []byte
		}{{"/s/small.bin", small}, {"/s/big.bin", big}} {
			resp, err := client.Get("http://x" + c.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(b, c.want) {
				t.Fatalf("%s: %d, %d bytes", c.path, resp.StatusCode, len(b))
			}
		}
	}
}
