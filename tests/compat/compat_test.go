package compat

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	"github.com/gorilla/websocket"
)

// probe is one behaviour, observed by a client; its result on each uwsgo
// target must equal its result under plain net/http.
type probe struct {
	name string
	run  func(t *testing.T, tg *target) string
	// skip names the target kinds the probe does not apply to, and why.
	skip map[string]string
	// retains: the probe keeps a request past its handler, which the
	// --reuse-requests opt-in does not allow.
	retains bool
}

const noUpgrade = "nginx's uwsgi module does not pass connection upgrades"
const noChunks = "a uwsgi socket's response body is not chunked (it ends with the connection), so it carries no trailers or 1xx, as uWSGI"

var probeList = []probe{
	{name: "gin route", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/gin/hello/abc?q=1", nil, nil))
	}},
	{name: "gin BindJSON", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("POST", "/gin/json", strings.NewReader(`{"Name":"x"}`), map[string]string{"Content-Type": "application/json"}))
	}},
	{name: "gin c.Stream (CloseNotifier)", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/gin/stream", nil, nil))
	}},
	{name: "chi route and middleware", run: func(t *testing.T, tg *target) string {
		st, body, h := tg.get("GET", "/chi/items/x", nil, nil)
		return fmt.Sprintf("%d %q X-Chi=%q", st, body, h.Get("X-Chi"))
	}},
	{name: "echo route", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/echo/users/7", nil, nil))
	}},
	{name: "echo streamed", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/echo/stream", nil, nil))
	}},
	{name: "HEAD keeps the handler's Content-Length", run: func(t *testing.T, tg *target) string {
		st, body, h := tg.get("HEAD", "/head", nil, nil)
		return fmt.Sprintf("%d %q Content-Length=%q", st, body, h.Get("Content-Length"))
	}},
	{name: "body shorter than its Content-Length", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/length/short", nil, nil))
	}},
	{name: "streamed body shorter than its Content-Length", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/length/short-stream", nil, nil))
	}},
	{name: "body longer than its Content-Length", run: func(t *testing.T, tg *target) string {
		st, body, h := tg.get("GET", "/length/long", nil, nil)
		return fmt.Sprintf("%d %q Content-Length=%q", st, body, h.Get("Content-Length"))
	}},
	{name: "trailers", skip: map[string]string{"socket": noChunks, "nginx": noChunks}, run: func(t *testing.T, tg *target) string {
		resp, err := tg.client.Get(tg.base + "/trailer")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %q chunked=%v X-Sum=%q X-Late=%q", resp.StatusCode, b, resp.ContentLength == -1,
			resp.Trailer.Get("X-Sum"), resp.Trailer.Get("X-Late"))
	}},
	{name: "103 Early Hints", skip: map[string]string{"socket": noChunks, "nginx": noChunks}, run: func(t *testing.T, tg *target) string {
		var got []string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			got = append(got, fmt.Sprintf("%d %s", code, h.Get("Link")))
			return nil
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", tg.base+"/early-hints", nil)
		resp, err := tg.client.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%v %d %q", got, resp.StatusCode, b)
	}},
	{name: "Expect: 100-continue, handler refuses", skip: expectSkip, run: func(t *testing.T, tg *target) string {
		return expectContinue(tg, "/expect")
	}},
	{name: "Expect: 100-continue, handler reads", skip: expectSkip, run: func(t *testing.T, tg *target) string {
		return expectContinue(tg, "/expect?read=1")
	}},
	{name: "HTTP/1.0 keep-alive", skip: map[string]string{"socket": "one request per uwsgi connection", "nginx": "nginx speaks HTTP/1.0 to uwsgi upstreams, one request per connection"},
		run: http10KeepAlive},
	{name: "http.ResponseController deadlines and full duplex", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/controller", nil, nil))
	}},
	{name: "Content-Type nil stops sniffing", run: func(t *testing.T, tg *target) string {
		st, _, h := tg.get("GET", "/nil-content-type", nil, nil)
		return fmt.Sprintf("%d Content-Type=%q", st, h.Values("Content-Type"))
	}},
	{name: "ServerContextKey and LocalAddrContextKey", run: func(t *testing.T, tg *target) string {
		return status3(tg.get("GET", "/context-keys", nil, nil))
	}},
	{name: "a kept context is done once its handler returned", retains: true, run: func(t *testing.T, tg *target) string {
		key := fmt.Sprint(time.Now().UnixNano())
		tg.get("GET", "/ctx/store/"+key, nil, nil)
		return status3(tg.get("GET", "/ctx/check/"+key, nil, nil))
	}},
	{name: "a kept context is done while the next pipelined request runs", retains: true, skip: map[string]string{
		"socket": "one request per uwsgi connection", "nginx": "nginx does not pipeline to its upstream"},
		run: pipelinedContext},
	{name: "pipelined requests answered in order around 1xx and streamed answers", skip: map[string]string{
		"socket": "one request per uwsgi connection", "nginx": "nginx does not pipeline to its upstream"},
		run: pipelinedOrder},
	{name: "client gone cancels r.Context()", run: func(t *testing.T, tg *target) string {
		return clientGone(t, tg, "/ctx/wait", 0)
	}},
	{name: "client gone fires CloseNotify", run: func(t *testing.T, tg *target) string {
		return clientGone(t, tg, "/closenotify", 1)
	}},
	{name: "Hijack: bytes sent behind the request, watched context", skip: map[string]string{"nginx": noUpgrade}, run: hijackEarly},
	{name: "gorilla/websocket", skip: map[string]string{"nginx": noUpgrade}, run: func(t *testing.T, tg *target) string {
		return gorillaEcho(tg, "/ws/gorilla", 5)
	}},
	{name: "coder/websocket (WriteHeader(101), then Hijack)", skip: map[string]string{"nginx": noUpgrade}, run: coderEcho},
	{name: "httputil.ReverseProxy websocket upgrades, 8 in parallel", skip: map[string]string{"nginx": noUpgrade}, run: func(t *testing.T, tg *target) string {
		var wg sync.WaitGroup
		results := make([]string, 8)
		for i := range results {
			wg.Go(func() { results[i] = gorillaEcho(tg, "/ws/proxy", 20) })
		}
		wg.Wait()
		return strings.Join(results, "; ")
	}},
}

var expectSkip = map[string]string{"socket": "Expect is the front end's to answer on a uwsgi socket", "nginx": "nginx answers Expect itself"}

// expectContinue posts 1 MiB with Expect: 100-continue and reports whether
// the server sent 100 Continue, and its answer.
func expectContinue(tg *target, path string) string {
	var got100 atomic.Bool
	trace := &httptrace.ClientTrace{Got100Continue: func() { got100.Store(true) }}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	req, _ := http.NewRequestWithContext(ctx, "POST", tg.base+path, strings.NewReader(strings.Repeat("x", 1<<20)))
	req.Header.Set("Expect", "100-continue")
	// The transport waits up to 5 s for the 100 before it sends the body anyway.
	c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: tg.dial, ExpectContinueTimeout: 5 * time.Second}}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("100=%v %d %q", got100.Load(), resp.StatusCode, b)
}

// http10KeepAlive sends two HTTP/1.0 requests on one connection, the first
// with Connection: keep-alive, and reports what came back and whether the
// connection closed after the second.
func http10KeepAlive(t *testing.T, tg *target) string {
	c, err := tg.dial(context.Background(), "tcp", strings.TrimPrefix(tg.base, "http://"))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	var out []string
	for _, conn := range []string{"Connection: keep-alive\r\n", ""} {
		fmt.Fprintf(c, "GET /chi/items/a HTTP/1.0\r\nHost: x\r\n%s\r\n", conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			out = append(out, err.Error())
			break
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out = append(out, fmt.Sprintf("%d %q keep-alive=%q", resp.StatusCode, b, resp.Header.Get("Connection")))
	}
	_, err = br.ReadByte()
	out = append(out, "then "+errKind(err))
	return strings.Join(out, " | ")
}

func status3(st int, body string, _ http.Header) string { return fmt.Sprintf("%d %q", st, body) }

// TestCompat runs every probe under plain net/http, uwsgo --http-socket,
// uwsgo --socket with a raw uwsgi client, and nginx uwsgi_pass in front of
// that socket, and asserts each uwsgo result equals net/http's.
func TestCompat(t *testing.T) {
	backend := websocketBackend(t)
	std := stdTarget(t, backend)
	httpT, sockT := uwsgoTargets(t, backend)
	targets := []*target{httpT, sockT}
	if _, err := exec.LookPath("nginx"); err == nil || os.Getenv("UWSGO_REQUIRE_PEERS") != "" {
		targets = append(targets, nginxTarget(t, sockT))
	} else {
		t.Log("nginx is not installed: the uwsgi_pass target is skipped")
	}
	for _, p := range probeList {
		t.Run(p.name, func(t *testing.T) {
			want := p.run(t, std)
			t.Logf("net/http: %s", want)
			for _, tg := range targets {
				if why, ok := p.skip[tg.kind]; ok {
					t.Logf("%s: not applicable (%s)", tg.name, why)
					continue
				}
				if got := p.run(t, tg); got != want {
					t.Errorf("%s:\n  got  %s\n  want %s (net/http)", tg.name, got, want)
				}
			}
		})
	}
	if !httpT.proc.alive() {
		t.Fatal("the uwsgo process died")
	}
}

// TestReuseRequestsOptIn runs the probes that keep no request past its
// handler against uwsgo --reuse-requests: the opt-in changes nothing else.
func TestReuseRequestsOptIn(t *testing.T) {
	backend := websocketBackend(t)
	std := stdTarget(t, backend)
	httpT, sockT := uwsgoTargets(t, backend, "--reuse-requests")
	for _, p := range probeList {
		if p.retains {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			want := p.run(t, std)
			for _, tg := range []*target{httpT, sockT} {
				if _, ok := p.skip[tg.kind]; ok {
					continue
				}
				if got := p.run(t, tg); got != want {
					t.Errorf("%s --reuse-requests:\n  got  %s\n  want %s (net/http)", tg.name, got, want)
				}
			}
		})
	}
	if !httpT.proc.alive() {
		t.Fatal("the uwsgo process died")
	}
}

// pipelinedContext sends two requests in one write on one connection: the
// second reports whether the first one's kept context is done.
func pipelinedContext(t *testing.T, tg *target) string {
	c, err := tg.dial(context.Background(), "tcp", strings.TrimPrefix(tg.base, "http://"))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	key := fmt.Sprint(time.Now().UnixNano())
	fmt.Fprintf(c, "GET /ctx/store/%s HTTP/1.1\r\nHost: x\r\n\r\nGET /ctx/check/%s HTTP/1.1\r\nHost: x\r\n\r\n", key, key)
	br := bufio.NewReader(c)
	var out []string
	for range 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out = append(out, string(b))
	}
	return strings.Join(out, " | ")
}

// pipelinedOrder sends four requests in one write (a buffered answer, 103
// then an answer, a streamed one, a buffered one) and returns the status
// lines and bodies in the order they came.
func pipelinedOrder(t *testing.T, tg *target) string {
	c, err := tg.dial(context.Background(), "tcp", strings.TrimPrefix(tg.base, "http://"))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var reqs strings.Builder
	for _, path := range []string{"/chi/items/a", "/early-hints", "/echo/stream", "/chi/items/b"} {
		fmt.Fprintf(&reqs, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	}
	io.WriteString(c, reqs.String())
	br := bufio.NewReader(c)
	var out []string
	for len(out) < 5 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			out = append(out, err.Error())
			break
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out = append(out, fmt.Sprintf("%d %q", resp.StatusCode, b))
	}
	return strings.Join(out, " | ")
}

// clientGone starts a request to path and closes the connection after
// 300 ms; it reports whether the server's counter (field of /ctx/stats)
// went up within 10 s.
func clientGone(t *testing.T, tg *target, path string, field int) string {
	before := ctxStat(tg, field)
	c, err := tg.dial(context.Background(), "tcp", strings.TrimPrefix(tg.base, "http://"))
	if err != nil {
		return err.Error()
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	time.Sleep(300 * time.Millisecond)
	c.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ctxStat(tg, field) > before {
			return "noticed"
		}
	}
	return "not noticed within 10 s"
}

func ctxStat(tg *target, field int) int {
	_, body, _ := tg.get("GET", "/ctx/stats", nil, nil)
	var n [2]int
	fmt.Sscan(body, &n[0], &n[1])
	return n[field]
}

// hijackEarly sends an upgrade with PING1 in the same write, then PING2
// after the 101, and returns what the hijacked handler echoed.
func hijackEarly(t *testing.T, tg *target) string {
	c, err := tg.dial(context.Background(), "tcp", strings.TrimPrefix(tg.base, "http://"))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /hijack-echo HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nPING1")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err.Error()
	}
	time.Sleep(50 * time.Millisecond)
	io.WriteString(c, "PING2")
	got := make([]byte, 10)
	n, err := io.ReadFull(br, got)
	return fmt.Sprintf("%d %q %s", resp.StatusCode, got[:n], errKind(err))
}

// gorillaEcho dials path with gorilla/websocket and checks n echoes.
func gorillaEcho(tg *target, path string, n int) string {
	d := websocket.Dialer{NetDialContext: tg.dial, HandshakeTimeout: 10 * time.Second}
	c, resp, err := d.Dial("ws://"+strings.TrimPrefix(tg.base, "http://")+path, nil)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		return fmt.Sprintf("dial: %d %v", st, err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range n {
		msg := fmt.Sprintf("message %d %s", i, strings.Repeat("x", i*100))
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			return "write: " + err.Error()
		}
		_, got, err := c.ReadMessage()
		if err != nil {
			return "read: " + err.Error()
		}
		if string(got) != msg {
			return fmt.Sprintf("echo %d differs", i)
		}
	}
	return fmt.Sprintf("%d echoes", n)
}

// coderEcho dials /ws/coder with coder/websocket and checks 5 echoes.
func coderEcho(t *testing.T, tg *target) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := cws.Dial(ctx, "ws://"+strings.TrimPrefix(tg.base, "http://")+"/ws/coder", &cws.DialOptions{HTTPClient: tg.client})
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.CloseNow()
	for i := range 5 {
		msg := fmt.Sprintf("coder %d", i)
		if err := c.Write(ctx, cws.MessageText, []byte(msg)); err != nil {
			return "write: " + err.Error()
		}
		_, got, err := c.Read(ctx)
		if err != nil || string(got) != msg {
			return fmt.Sprintf("read %d: %q %v", i, got, err)
		}
	}
	return "5 echoes"
}

// TestRetainedRequests: 1,000 requests each leave a goroutine that reads
// r.URL.Path, r.Header and r.Context() 50 ms after the handler returned;
// every goroutine sees its own request and the server survives, under
// net/http and on both uwsgo socket kinds (the app runs with -race).
func TestRetainedRequests(t *testing.T) {
	backend := websocketBackend(t)
	std := stdTarget(t, backend)
	httpT, sockT := uwsgoTargets(t, backend)
	for _, tg := range []*target{std, httpT, sockT} {
		okBefore, badBefore := retainStats(tg)
		const n = 1000
		var wg sync.WaitGroup
		var failed atomic.Int32
		for g := range 8 {
			wg.Go(func() {
				for i := g; i < n; i += 8 {
					id := fmt.Sprint(i)
					st, body, _ := tg.get("GET", "/retain/"+id+"?id="+id, nil, map[string]string{"X-Id": id})
					if st != 200 || body != id {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		var ok, bad int
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			ok, bad = retainStats(tg)
			if ok-okBefore+bad-badBefore >= n {
				break
			}
		}
		if failed.Load() != 0 || ok-okBefore != n || bad-badBefore != 0 {
			t.Errorf("%s: %d failed requests; %d goroutines saw their own request, %d did not, of %d",
				tg.name, failed.Load(), ok-okBefore, bad-badBefore, n)
		}
	}
	if !httpT.proc.alive() {
		t.Fatal("the uwsgo process died")
	}
}

func retainStats(tg *target) (ok, bad int) {
	_, body, _ := tg.get("GET", "/retain-stats", nil, nil)
	fmt.Sscan(body, &ok, &bad)
	return ok, bad
}
