package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// staticTree builds a document root with a file outside it and symlinks.
func staticTree(t *testing.T) (root, dir string, big []byte) {
	dir = t.TempDir()
	root = filepath.Join(dir, "www")
	os.MkdirAll(filepath.Join(root, "static", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("TOP SECRET"), 0o644)
	os.WriteFile(filepath.Join(root, "static", "app.css"), []byte("body{color:red}"), 0o644)
	os.WriteFile(filepath.Join(root, "static", "sub", "index.html"), []byte("<h1>index</h1>"), 0o644)
	os.WriteFile(filepath.Join(root, "static", "x.php"), []byte("<?php"), 0o644)
	os.WriteFile(filepath.Join(root, "static", "page.html"), []byte("<p>plain</p>"), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("<p>plain</p>"))
	zw.Close()
	os.WriteFile(filepath.Join(root, "static", "page.html.gz"), gz.Bytes(), 0o644)
	big = make([]byte, 200000)
	for i := range big {
		big[i] = byte(i % 251)
	}
	os.WriteFile(filepath.Join(root, "static", "big.bin"), big, 0o644)
	os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(root, "static", "link.txt"))
	return root, dir, big
}

func doReq(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestStaticFiles(t *testing.T) {
	root, _, big := staticTree(t)
	p, base, uaddr, _ := masterServer(t, nil, "--processes", "1", "--static-map", "/static="+filepath.Join(root, "static"),
		"--static-index", "index.html", "--static-gzip-all", "--static-expires-type", "text/css=3600", "--static-skip-ext", ".php")
	_ = p
	resp, body := doReq(t, "GET", base+"/static/app.css", nil)
	if resp.StatusCode != 200 || string(body) != "body{color:red}" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		resp.Header.Get("Expires") == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("app.css: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if r, b := doReq(t, "GET", base+"/static/app.css", map[string]string{"If-Modified-Since": resp.Header.Get("Last-Modified")}); r.StatusCode != 304 || len(b) != 0 {
		t.Errorf("If-Modified-Since: %d %q", r.StatusCode, b)
	}
	if r, b := doReq(t, "GET", base+"/static/big.bin", map[string]string{"Range": "bytes=10-19"}); r.StatusCode != 206 ||
		!bytes.Equal(b, big[10:20]) || r.Header.Get("Content-Range") != "bytes 10-19/200000" {
		t.Errorf("Range 10-19: %d %v %v", r.StatusCode, b, r.Header)
	}
	if r, b := doReq(t, "GET", base+"/static/big.bin", map[string]string{"Range": "bytes=-5"}); r.StatusCode != 206 || !bytes.Equal(b, big[len(big)-5:]) {
		t.Errorf("suffix range: %d %v", r.StatusCode, b)
	}
	if r, _ := doReq(t, "GET", base+"/static/big.bin", map[string]string{"Range": "bytes=300000-"}); r.StatusCode != 416 {
		t.Errorf("unsatisfiable range: %d", r.StatusCode)
	}
	if r, b := doReq(t, "GET", base+"/static/big.bin", nil); r.StatusCode != 200 || !bytes.Equal(b, big) {
		t.Errorf("whole big.bin: %d, %d bytes", r.StatusCode, len(b))
	}
	if r, b := doReq(t, "HEAD", base+"/static/big.bin", nil); r.StatusCode != 200 || len(b) != 0 || r.ContentLength != 200000 {
		t.Errorf("HEAD: %d %d %d", r.StatusCode, len(b), r.ContentLength)
	}
	if r, b := doReq(t, "GET", base+"/static/page.html", map[string]string{"Accept-Encoding": "gzip"}); r.Header.Get("Content-Encoding") != "gzip" || bytes.Contains(b, []byte("plain")) {
		t.Errorf("gzip sibling: %v %q", r.Header, b)
	}
	if r, b := doReq(t, "GET", base+"/static/page.html", nil); r.Header.Get("Content-Encoding") != "" || string(b) != "<p>plain</p>" {
		t.Errorf("no gzip: %v %q", r.Header, b)
	}
	if _, b := doReq(t, "GET", base+"/static/sub/", nil); string(b) != "<h1>index</h1>" {
		t.Errorf("index: %q", b)
	}
	if r, b := doReq(t, "GET", base+"/static/x.php", nil); r.StatusCode != 404 || bytes.Contains(b, []byte("<?php")) {
		t.Errorf("skip-ext: %d %q", r.StatusCode, b)
	}
	if r, _ := doReq(t, "GET", base+"/view/", nil); r.StatusCode != 200 {
		t.Errorf("the app behind the static map: %d", r.StatusCode)
	}
	// The same file through the uwsgi socket.
	_, ub, err := uwsgiRequest("tcp", uaddr, map[string]string{"REQUEST_METHOD": "GET", "PATH_INFO": "/static/app.css", "REQUEST_URI": "/static/app.css"}, nil)
	if err != nil || !bytes.HasSuffix(ub, []byte("body{color:red}")) {
		t.Errorf("uwsgi socket: %v %q", err, ub)
	}
}

// rawGet sends a request line as given (no client-side normalization).
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	b, _ := io.ReadAll(bufio.NewReader(c))
	code := 0
	if f := strings.Fields(string(b)); len(f) > 1 {
		code, _ = strconv.Atoi(f[1])
	}
	return code, string(b)
}

func TestStaticTraversalRefused(t *testing.T) {
	root, dir, _ := staticTree(t)
	_, base, uaddr, _ := masterServer(t, nil, "--processes", "1", "--static-map", "/static="+filepath.Join(root, "static"),
		"--check-static", root)
	haddr := strings.TrimPrefix(base, "http://")
	for _, target := range []string{
		"/static/../../secret.txt", "/static/%2e%2e/%2e%2e/secret.txt", "/static/..%2f..%2fsecret.txt",
		"/static/%2e%2e%2f%2e%2e%2fsecret.txt", "/static/....//....//secret.txt", "/static/.%2e/.%2e/secret.txt",
		"/static/link.txt", "/../secret.txt", "/%2e%2e/secret.txt", "/static/sub/../../../secret.txt",
		"/static/%252e%252e/%252e%252e/secret.txt", "/static/..\\..\\secret.txt", "/static/app.css%00.txt",
		"//static/../../secret.txt", "/./../secret.txt",
	} {
		code, body := rawGet(t, haddr, target)
		if strings.Contains(body, "TOP SECRET") || code == 200 && !strings.Contains(body, "Hello") && !strings.Contains(body, "body{") {
			t.Errorf("HTTP %s: %d %q", target, code, body)
		}
		_, ub, _ := uwsgiRequest("tcp", uaddr, map[string]string{"REQUEST_METHOD": "GET", "PATH_INFO": target, "REQUEST_URI": target}, nil)
		if bytes.Contains(ub, []byte("TOP SECRET")) {
			t.Errorf("uwsgi %s served the secret", target)
		}
	}
	// --static-safe allows the symlink's target directory.
	_, base2, _, _ := masterServer(t, nil, "--processes", "1", "--static-map", "/static="+filepath.Join(root, "static"), "--static-safe", dir)
	if r, b := doReq(t, "GET", base2+"/static/link.txt", nil); r.StatusCode != 200 || string(b) != "TOP SECRET" {
		t.Errorf("static-safe: %d %q", r.StatusCode, b)
	}
}

// TestStaticBigFileFlatMemory streams a 100 MiB file and checks the
// worker's RSS did not grow with it.
func TestStaticBigFileFlatMemory(t *testing.T) {
	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "huge.bin"))
	f.Truncate(100 << 20)
	f.Close()
	p, base, _, _ := masterServer(t, nil, "--processes", "1", "--static-map", "/files="+dir)
	kids := waitChildren(t, p.cmd.Process.Pid, 1, 10*time.Second, nil)
	doReq(t, "GET", base+"/files/huge.bin", map[string]string{"Range": "bytes=0-0"}) // warm up
	before := rssKB(kids[0])
	resp, err := http.Get(base + "/files/huge.bin")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	after := rssKB(kids[0])
	if err != nil || n != 100<<20 {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	t.Logf("worker RSS %d kB before, %d kB after streaming 100 MiB", before, after)
	if after-before > 16<<10 {
		t.Fatalf("RSS grew by %d kB while streaming", after-before)
	}
}

func rssKB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return 0
}

// TestPublishedConfigRuns runs the Open edX image's uWSGI settings
// (testdata/real/openedx-tutor.ini) unchanged but for its address and
// directories: it starts although its static directories do not exist
// yet, serves the app, and serves a static file once its directory appears.
func TestPublishedConfigRuns(t *testing.T) {
	src, err := os.ReadFile("../../uwsgi/config/testdata/real/openedx-tutor.ini")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ini := strings.ReplaceAll(strings.ReplaceAll(string(src), "0.0.0.0:8000", addr), "/openedx/", dir+"/openedx/")
	path := filepath.Join(dir, "uwsgi.ini")
	os.WriteFile(path, []byte(ini), 0o644)
	p := start(t, bins.testapp, nil, "--ini", path)
	waitDial(t, "tcp", addr, p)
	base := "http://" + addr
	if r, b := doReq(t, "GET", base+"/view/", nil); r.StatusCode != 200 || string(b) != "<h1>Hello World</h1>" || r.Header.Get("Connection") == "" {
		t.Fatalf("app: %d %q %v", r.StatusCode, b, r.Header)
	}
	if r, _ := doReq(t, "GET", base+"/static/app.css", nil); r.StatusCode != 404 {
		t.Fatalf("a static file before its directory exists: %d", r.StatusCode)
	}
	os.MkdirAll(filepath.Join(dir, "openedx", "staticfiles"), 0o755)
	os.WriteFile(filepath.Join(dir, "openedx", "staticfiles", "app.css"), []byte("body{}"), 0o644)
	if r, b := doReq(t, "GET", base+"/static/app.css", nil); r.StatusCode != 200 || string(b) != "body{}" {
		t.Fatalf("once the directory exists: %d %q", r.StatusCode, b)
	}
	p.waitLog("wsgi-file", 5*time.Second) // the Python-only options are named in a warning
}
