package bridge

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// serve starts a fasthttp server configured as the engine does, bridging h.
func serve(t *testing.T, h http.Handler) (base string, logs *atomic.Int32) {
	t.Helper()
	return serveReuse(t, h, false)
}

// serveReuse is serve with Server.ReuseRequests set to reuse.
func serveReuse(t *testing.T, h http.Handler, reuse bool) (base string, logs *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs = new(atomic.Int32)
	srv := &fasthttp.Server{
		NoDefaultServerHeader: true, NoDefaultContentType: true, DisablePreParseMultipartForm: true,
		StreamRequestBody: true, MaxRequestBodySize: 1 << 20, KeepHijackedConns: true, CloseOnShutdown: true,
	}
	bs := &Server{Handler: h, HTTP: srv, BufferSize: 4096, Logf: func(string, ...any) { logs.Add(1) }, ReuseRequests: reuse}
	vars := &HTTPVars{ServerName: "test", ServerPort: "80"}
	srv.Handler = func(ctx *fasthttp.RequestCtx) { bs.Serve(ctx, ModeHTTP, vars) }
	go srv.Serve(Listener{Listener: ln})
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String(), logs
}

func fetch(t *testing.T, c *http.Client, method, url string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp, string(b)
}

func TestRequestFields(t *testing.T) {
	var got []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%v|%v|%s|%v|%d|%q|%s", r.Method, r.URL.Path, r.URL.RawQuery,
			r.RequestURI, r.Host, r.Header["X-Multi"], r.Header["Accept"], r.Proto, r.TLS == nil, r.ContentLength, r.Header.Get("Host"), r.PathValue("id")))
		if !strings.HasPrefix(r.RemoteAddr, "127.0.0.1:") || r.Context() == nil {
			t.Errorf("RemoteAddr %q", r.RemoteAddr)
		}
	})
	base, _ := serve(t, mux)
	c := &http.Client{}
	for _, id := range []string{"1", "two"} {
		req, _ := http.NewRequest("GET", base+"/items/"+id+"?q=%20x", nil)
		req.Header.Add("X-Multi", "a")
		req.Header.Add("X-Multi", "b")
		req.Header.Add("Accept", "x/1") // an interned name, twice
		req.Header.Add("Accept", "y/2")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	host := strings.TrimPrefix(base, "http://")
	want := []string{
		"GET|/items/1|q=%20x|/items/1?q=%20x|" + host + "|[a b]|[x/1 y/2]|HTTP/1.1|true|0|\"\"|1",
		"GET|/items/two|q=%20x|/items/two?q=%20x|" + host + "|[a b]|[x/1 y/2]|HTTP/1.1|true|0|\"\"|two",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests seen as\n%q\nwant\n%q", got, want)
	}
}

func TestEscapedPath(t *testing.T) {
	base, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s", r.URL.Path, r.URL.EscapedPath())
	}))
	if _, body := fetch(t, http.DefaultClient, "GET", base+"/a%20b/c%2Fd", nil); body != "/a b/c/d|/a%20b/c%2Fd" {
		t.Fatalf("escaped path seen as %q", body)
	}
}

func TestStringsSurvivePooling(t *testing.T) {
	var kept []string
	base, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept = append(kept, r.URL.Path, r.Header.Get("X-Id"), r.Method)
	}))
	c := &http.Client{}
	for i := range 20 {
		req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/p%d", base, i), nil)
		req.Header.Set("X-Id", fmt.Sprint("id-", i))
		resp, _ := c.Do(req)
		resp.Body.Close()
	}
	for i := range 20 {
		if kept[3*i] != fmt.Sprintf("/p%d", i) || kept[3*i+1] != fmt.Sprint("id-", i) || kept[3*i+2] != "PATCH" {
			t.Fatalf("request %d: kept strings changed to %q", i, kept[3*i:3*i+3])
		}
	}
}

func TestBodies(t *testing.T) {
	base, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x %v %d %v", n, h.Sum(nil)[:4], err, r.ContentLength, r.TransferEncoding)
	}))
	for _, size := range []int{0, 10, 100 << 10, 5 << 20} {
		payload := make([]byte, size)
		rand.Read(payload)
		sum := sha256.Sum256(payload)
		_, body := fetch(t, http.DefaultClient, "POST", base+"/", strings.NewReader(string(payload)))
		if want := fmt.Sprintf("%d %x <nil> %d []", size, sum[:4], size); body != want {
			t.Errorf("%d-byte body seen as %q, want %q", size, body, want)
		}
	}
	// A chunked request body (unknown length on the client side).
	pr, pw := io.Pipe()
	go func() { pw.Write([]byte("chunked body")); pw.Close() }()
	_, body := fetch(t, http.DefaultClient, "POST", base+"/", pr)
	sum := sha256.Sum256([]byte("chunked body"))
	if want := fmt.Sprintf("12 %x <nil> -1 [chunked]", sum[:4]); body != want {
		t.Errorf("chunked body seen as %q, want %q", body, want)
	}
}

func TestResponses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<h1>Hello World</h1>") })
	mux.HandleFunc("/notfound", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Before", "1")
		w.WriteHeader(404)
		w.Header().Set("X-After", "1")
		w.WriteHeader(500)
		w.Write([]byte("gone"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte("bye"))
	})
	base, _ := serve(t, mux)
	resp, body := fetch(t, http.DefaultClient, "GET", base+"/html", nil)
	if body != "<h1>Hello World</h1>" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.ContentLength != 20 {
		t.Errorf("/html: %q %v %d", body, resp.Header, resp.ContentLength)
	}
	resp, body = fetch(t, http.DefaultClient, "GET", base+"/notfound", nil)
	if resp.StatusCode != 404 || body != "gone" || resp.Header.Get("X-Before") != "1" || resp.Header.Get("X-After") != "" {
		t.Errorf("/notfound: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = fetch(t, http.DefaultClient, "GET", base+"/empty", nil)
	if resp.StatusCode != 204 || body != "" {
		t.Errorf("/empty: %d %q", resp.StatusCode, body)
	}
	resp, body = fetch(t, http.DefaultClient, "HEAD", base+"/html", nil)
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: %d %q", resp.StatusCode, body)
	}
	resp, _ = fetch(t, http.DefaultClient, "GET", base+"/close", nil)
	if !resp.Close {
		t.Errorf("Connection: close from the handler was not sent")
	}
}

// TestStreamingKeepsAlive: a flushed response arrives before the handler
// ends, is chunked, and the connection then serves another request.
func TestStreamingKeepsAlive(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "second\n")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			w.Write([]byte(strings.Repeat("x", 1000)))
		}
	})
	base, _ := serve(t, mux)
	var reused []bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
	c := &http.Client{}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+"/stream", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != "first\n" {
		t.Fatalf("first chunk %q", line)
	}
	if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("streamed response not chunked: %v", resp.TransferEncoding)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	resp.Body.Close()
	if string(rest) != "second\n" {
		t.Fatalf("rest %q", rest)
	}
	req, _ = http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+"/big", nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) != 100000 {
		t.Fatalf("/big: %d bytes", len(b))
	}
	if len(reused) != 2 || !reused[1] {
		t.Fatalf("connection not reused after a streamed response: %v", reused)
	}
}

func TestContextCancelled(t *testing.T) {
	done := make(chan error, 1)
	var after context.Context
	mux := http.NewServeMux()
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			done <- r.Context().Err()
		case <-time.After(10 * time.Second):
			done <- nil
		}
	})
	mux.HandleFunc("/after", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		after = ctx
		_ = cancel
	})
	base, _ := serve(t, mux)
	fetch(t, http.DefaultClient, "GET", base+"/after", nil)
	select {
	case <-after.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a context derived from r.Context() was not cancelled when the handler returned")
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(200 * time.Millisecond)
	c.Close()
	if err := <-done; err == nil {
		t.Fatal("r.Context() was not cancelled when the client went away")
	}
}

func TestPanics(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	base, logs := serve(t, mux)
	resp, _ := fetch(t, http.DefaultClient, "GET", base+"/panic", nil)
	if resp.StatusCode != 500 || logs.Load() != 1 {
		t.Fatalf("panic: status %d, %d log lines", resp.StatusCode, logs.Load())
	}
	if _, err := http.Get(base + "/abort"); err == nil {
		t.Fatal("ErrAbortHandler did not cut the connection")
	}
	if _, body := fetch(t, http.DefaultClient, "GET", base+"/ok", nil); body != "ok" || logs.Load() != 1 {
		t.Fatalf("after panics: %q, %d log lines", body, logs.Load())
	}
}

func TestHijack(t *testing.T) {
	base, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		go func() {
			defer c.Close()
			rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			rw.Flush()
			line, _ := rw.ReadString('\n')
			rw.WriteString("echo: " + line)
			rw.Flush()
		}()
	}))
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade response %v %v", resp, err)
	}
	fmt.Fprintf(c, "ping\n")
	if line, _ := br.ReadString('\n'); line != "echo: ping\n" {
		t.Fatalf("hijacked echo %q", line)
	}
}

func TestVarsOf(t *testing.T) {
	base, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := VarsOf(r)
		fmt.Fprintf(w, "%s|%s|%s|%s|%s|%s|%s|%s|%s", v["REQUEST_METHOD"], v["REQUEST_URI"], v["PATH_INFO"], v["QUERY_STRING"],
			v["SERVER_PROTOCOL"], v["REMOTE_ADDR"], v["HTTP_X_FOO_BAR"], v["CONTENT_TYPE"], v["SERVER_PORT"])
	}))
	req, _ := http.NewRequest("POST", base+"/a%20b?x=1", strings.NewReader("z"))
	req.Header.Set("X-Foo-Bar", "baz")
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "POST|/a%20b?x=1|/a b|x=1|HTTP/1.1|127.0.0.1|baz|text/plain|80"; string(b) != want {
		t.Fatalf("vars %q, want %q", b, want)
	}
	if VarsOf(&http.Request{}) != nil {
		t.Fatal("VarsOf of a foreign request is not nil")
	}
}

// TestConcurrentNoCrossTalk catches pooled state shared between requests.
func TestConcurrentNoCrossTalk(t *testing.T) {
	base, _ := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s|%s|%s", r.URL.Path, r.Header.Get("X-Who"), b)
	}))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for g := range 20 {
		wg.Go(func() {
			c := &http.Client{}
			for i := range 25 {
				id := fmt.Sprintf("%d-%d", g, i)
				req, _ := http.NewRequest("POST", base+"/p/"+id, strings.NewReader("body-"+id))
				req.Header.Set("X-Who", id)
				resp, err := c.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != "/p/"+id+"|"+id+"|body-"+id {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d responses had another request's data", bad.Load())
	}
}

// TestUnparsableURI: a request URI fasthttp accepts but net/url rejects is
// answered 400 and the server goes on serving, with and without
// ReuseRequests (which used to dereference the request it never built).
func TestUnparsableURI(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		base, logs := serveReuse(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}), reuse)
		addr := strings.TrimPrefix(base, "http://")
		for _, c := range []struct{ uri, want string }{{"/%zz", "HTTP/1.1 400"}, {"http://[::1/x", "HTTP/1.1 400"}, {"/fine", "HTTP/1.1 200"}} {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", c.uri)
			b, _ := io.ReadAll(conn)
			conn.Close()
			if !strings.HasPrefix(string(b), c.want) {
				t.Errorf("ReuseRequests=%v: GET %s answered %q, want %s", reuse, c.uri, b, c.want)
			}
		}
		if logs.Load() != 0 {
			t.Errorf("ReuseRequests=%v: %d log lines (a panic?)", reuse, logs.Load())
		}
	}
}
