package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// curlHeaders runs curl -i with args and returns the status line's
// protocol, the headers (names lower-cased, Date dropped) and the body.
func curlHeaders(t *testing.T, args ...string) (string, []string, string) {
	t.Helper()
	dump := filepath.Join(t.TempDir(), "headers")
	body, _ := curl(t, false, append([]string{"-D", dump}, args...)...)
	raw, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(raw), "\r\n", "\n")), "\n")
	proto, _, _ := strings.Cut(lines[0], " ")
	var hs []string
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		k = strings.ToLower(k)
		if k == "date" {
			continue
		}
		hs = append(hs, k+": "+strings.TrimSpace(v))
	}
	sort.Strings(hs)
	return proto, hs, body
}

// TestHTTP2ThroughALPN: curl --http2 on an --https-socket negotiates h2
// for a net/http app and gets the same status, headers and bodies as over
// HTTP/1.1 (a GET, a 1 MiB POST echoed, a streamed response); the request
// variables say HTTP/2.0 and HTTPS=on; the request log has its line;
// harakiri's first stage cancels an HTTP/2 request's context through its
// core and uwsgi.SetHarakiri finds it; --limit-post answers 413;
// a fasthttp app stays on HTTP/1.1.
func TestHTTP2ThroughALPN(t *testing.T) {
	ca := newTestCA(t, "h2")
	p, addr := httpsServer(t, ca, "", nil, "--master", "--processes", "1", "--goroutines", "4", "--harakiri", "1",
		"--add-header", "X-Test: yes", "--limit-post", "2000000")
	base := "https://localhost:" + addr[strings.LastIndexByte(addr, ':')+1:]
	body := make([]byte, 1<<20)
	_, _ = rand.Read(body)
	f := filepath.Join(t.TempDir(), "body")
	os.WriteFile(f, body, 0o600)

	for _, c := range []struct {
		path string
		args []string
	}{
		{"/view/", nil},
		{"/status/404", nil},
		{"/echo", []string{"--data-binary", "@" + f, "-H", "Content-Type: application/octet-stream"}},
		{"/stream", nil},
	} {
		p1, h1, b1 := curlHeaders(t, append([]string{"--cacert", ca.File, "--http1.1"}, append(c.args, base+c.path)...)...)
		p2, h2, b2 := curlHeaders(t, append([]string{"--cacert", ca.File, "--http2"}, append(c.args, base+c.path)...)...)
		if p1 != "HTTP/1.1" || p2 != "HTTP/2" {
			t.Fatalf("%s: protocols %s and %s, want HTTP/1.1 and HTTP/2", c.path, p1, p2)
		}
		if b1 != b2 {
			t.Fatalf("%s: bodies differ (%d and %d bytes)", c.path, len(b1), len(b2))
		}
		// HTTP/1.1 says how the body is framed; HTTP/2 frames it itself.
		h1 = slicesDelete(h1, "transfer-encoding: chunked")
		h2 = slicesDelete(h2, "content-length: 0")
		if c.path == "/stream" || c.path == "/status/404" {
			h1, h2 = slicesDeletePrefix(h1, "content-length"), slicesDeletePrefix(h2, "content-length")
		}
		if fmt.Sprint(h1) != fmt.Sprint(h2) {
			t.Fatalf("%s: headers differ:\nHTTP/1.1 %q\nHTTP/2   %q", c.path, h1, h2)
		}
	}
	out, _ := curl(t, false, "--cacert", ca.File, "--http2", base+"/vars?a=b")
	var v struct {
		Vars  map[string]string
		Proto string
		TLS   bool
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err, out)
	}
	if v.Proto != "HTTP/2.0" || !v.TLS || v.Vars["HTTPS"] != "on" || v.Vars["SERVER_PROTOCOL"] != "HTTP/2.0" || v.Vars["QUERY_STRING"] != "a=b" || v.Vars["HTTP_HOST"] == "" {
		t.Fatalf("vars over HTTP/2: proto=%s tls=%v %v", v.Proto, v.TLS, v.Vars)
	}
	if out, _ := curl(t, false, "--cacert", ca.File, "--http2", base+"/tls"); !strings.Contains(out, `"alpn":"h2"`) {
		t.Fatalf("/tls over HTTP/2: %s", out)
	}
	if out, _ := curl(t, false, "--cacert", ca.File, "--http2", base+"/polite"); out != "cancelled: context canceled" {
		t.Fatalf("harakiri over HTTP/2: %q", out)
	}
	if out, _ := curl(t, false, "--cacert", ca.File, "--http2", base+"/extend"); out != "extended true" {
		t.Fatalf("uwsgi.SetHarakiri over HTTP/2: %q", out)
	}
	// Over --limit-post: a complete 413, the same as plain net/http's
	// HTTP/2 server answering before it reads the body.
	plain := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 2000000 {
			http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 2000000)
		_, _ = io.Copy(w, r.Body)
	}))
	plain.EnableHTTP2 = true
	plain.StartTLS()
	defer plain.Close()
	plainClient := plain.Client()
	plainClient.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	for i := range 3 {
		if got, want := postH2(t, h2Client(ca), base+"/echo", 3000000), postH2(t, plainClient, plain.URL+"/echo", 3000000); got != want || !strings.HasPrefix(got, "413 ") {
			t.Fatalf("POST %d over --limit-post over HTTP/2: %q, plain net/http %q", i, got, want)
		}
	}
	p.waitLog("GET /vars?a=b => generated", 5*time.Second)
	if !regexp.MustCompile(`GET /vars\?a=b => generated \d+ bytes in \d+ msecs \(HTTP/2.0 200\)`).MatchString(p.log.String()) {
		t.Fatalf("no request log line for the HTTP/2 request:\n%s", p.log.String())
	}

	_, faddr := httpsServer(t, ca, "", []string{"TESTAPP_FAST=1"})
	if proto, _, _ := curlHeaders(t, "--cacert", ca.File, "--http2", "https://localhost:"+faddr[strings.LastIndexByte(faddr, ':')+1:]+"/"); proto != "HTTP/1.1" {
		t.Fatalf("a fasthttp app negotiated %s", proto)
	}
}

// h2Client is Go's HTTP/2 client trusting ca.
func h2Client(ca *testCA) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool()}, ForceAttemptHTTP2: true,
	}}
}

// postH2 POSTs n zero bytes over HTTP/2 and returns "status body".
//
// Not curl: a server that answers before the upload ends sends HEADERS,
// DATA with END_STREAM, then RST_STREAM NO_ERROR to stop the upload (RFC
// 9113 section 8.1; net/http's HTTP/2 server and nginx 1.22 send these
// three frames), and curl 7.88.1 sometimes drops the body it received and
// exits 18, "transfer closed with 25 bytes remaining to read": 5 runs in
// 60 against uwsgo, 2 to 11 in 30 to 60 against plain net/http, whose
// GODEBUG=http2debug=2 frame log shows the complete answer written in
// that order. Go's client reads the whole answer every time.
func postH2(t *testing.T, c *http.Client, url string, n int) string {
	t.Helper()
	resp, err := c.Post(url, "application/octet-stream", bytes.NewReader(make([]byte, n)))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.ProtoMajor != 2 {
		t.Fatalf("POST %s: %s, body %q: %v", url, resp.Proto, b, err)
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

func slicesDelete(s []string, v string) []string {
	var out []string
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func slicesDeletePrefix(s []string, p string) []string {
	var out []string
	for _, x := range s {
		if !strings.HasPrefix(x, p) {
			out = append(out, x)
		}
	}
	return out
}
