// Package probes is the handler set tests/compat serves under plain
// net/http and under uwsgo, to compare what a client sees: one route per
// net/http behaviour of issue 20, plus gin, chi, echo, gorilla/websocket,
// coder/websocket and httputil.ReverseProxy.
package probes

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Probes is one server's probe state (counters read back over HTTP).
type Probes struct {
	backend *url.URL // the websocket echo server the reverse proxy forwards to

	retainOK, retainBad atomic.Int64
	ctxGone             atomic.Int64 // contexts cancelled while their handler waited
	closeNotified       atomic.Int64
	mu                  sync.Mutex
	stored              map[string]func() error // ctx.Err of stored requests, by key
}

// Handler returns the probes' routes; backend is the base URL of a
// websocket echo server for the reverse-proxy probe.
func Handler(backend string) http.Handler {
	u, _ := url.Parse(backend)
	p := &Probes{backend: u, stored: map[string]func() error{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/retain/{id}", p.retain)
	mux.HandleFunc("/retain-stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %d", p.retainOK.Load(), p.retainBad.Load())
	})
	mux.HandleFunc("/ctx/wait", p.ctxWait)
	mux.HandleFunc("/ctx/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %d", p.ctxGone.Load(), p.closeNotified.Load())
	})
	mux.HandleFunc("/ctx/store/{key}", p.ctxStore)
	mux.HandleFunc("/ctx/check/{key}", p.ctxCheck)
	mux.HandleFunc("/closenotify", p.closeNotify)
	mux.HandleFunc("/head", head)
	mux.HandleFunc("/length/{kind}", length)
	mux.HandleFunc("/trailer", trailer)
	mux.HandleFunc("/early-hints", earlyHints)
	mux.HandleFunc("/expect", expect)
	mux.HandleFunc("/controller", controller)
	mux.HandleFunc("/nil-content-type", nilContentType)
	mux.HandleFunc("/context-keys", contextKeys)
	mux.HandleFunc("/hijack-echo", hijackEcho)
	mux.Handle("/ws/proxy", &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(p.backend)
		pr.Out.URL.Path = "/ws/gorilla"
	}})
	mux.HandleFunc("/ws/gorilla", GorillaEcho)
	mux.HandleFunc("/ws/coder", CoderEcho)
	mux.Handle("/gin/", Gin())
	mux.Handle("/chi/", Chi())
	mux.Handle("/echo/", Echo())
	return mux
}

// retain leaves a goroutine that reads the request 50 ms after the handler
// returned (`go audit(r)`), and counts whether it saw its own request.
func (p *Probes) retain(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	go func() {
		time.Sleep(50 * time.Millisecond)
		ctx := r.Context()
		if r.URL.Path == "/retain/"+id && r.Header.Get("X-Id") == id && r.URL.Query().Get("id") == id &&
			ctx.Err() != nil && ctx.Value(http.LocalAddrContextKey) != nil {
			p.retainOK.Add(1)
		} else {
			p.retainBad.Add(1)
		}
	}()
	io.WriteString(w, id)
}

// ctxWait waits up to 10 s for its context; one that ends early means the
// client went away and is counted.
func (p *Probes) ctxWait(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
		p.ctxGone.Add(1)
	case <-time.After(10 * time.Second):
	}
}

// closeNotify waits up to 10 s on http.CloseNotifier.
func (p *Probes) closeNotify(w http.ResponseWriter, r *http.Request) {
	cn, ok := w.(http.CloseNotifier) //nolint:staticcheck // what gin still calls
	if !ok {
		http.Error(w, "no CloseNotifier", http.StatusInternalServerError)
		return
	}
	select {
	case <-cn.CloseNotify():
		p.closeNotified.Add(1)
	case <-time.After(10 * time.Second):
	}
}

// ctxStore keeps the request's context; ctxCheck reports whether a kept
// context is done (its handler returned).
func (p *Probes) ctxStore(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.stored[r.PathValue("key")] = r.Context().Err
	p.mu.Unlock()
	io.WriteString(w, "stored")
}

func (p *Probes) ctxCheck(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	errOf := p.stored[r.PathValue("key")]
	p.mu.Unlock()
	if errOf == nil {
		io.WriteString(w, "none")
		return
	}
	fmt.Fprintf(w, "err=%v", errOf())
}

// head declares a 5 MiB body; HEAD gets only the header.
func head(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "5242880")
	w.Header().Set("Content-Type", "application/octet-stream")
	if r.Method != http.MethodHead {
		w.Write(make([]byte, 5<<20))
	}
}

// length declares a Content-Length the body does not match: short (10 of
// 100 bytes), short-stream (flushed, 10 of 1,000,000) or long (10 of 5).
func length(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("kind") {
	case "short":
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "0123456789")
	case "short-stream":
		w.Header().Set("Content-Length", "1000000")
		io.WriteString(w, "0123456789")
		w.(http.Flusher).Flush()
	case "long":
		w.Header().Set("Content-Length", "5")
		_, err := io.WriteString(w, "0123456789")
		w.Header().Set("X-Ignored", fmt.Sprint(err)) // too late to be sent
	}
}

// trailer declares one trailer and sets another with http.TrailerPrefix.
func trailer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Trailer", "X-Sum")
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "body")
	w.Header().Set("X-Sum", "42")
	w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
}

// earlyHints sends 103 Early Hints, then the answer.
func earlyHints(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Link", "</style.css>; rel=preload; as=style")
	w.WriteHeader(http.StatusEarlyHints)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "final")
}

// expect refuses without reading the body, or reads it when ?read=1.
func expect(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("read") == "" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	n, _ := io.Copy(io.Discard, r.Body)
	fmt.Fprintf(w, "read %d", n)
}

// controller reports what http.ResponseController's calls return.
func controller(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	e1 := rc.SetReadDeadline(time.Now().Add(time.Minute))
	e2 := rc.SetWriteDeadline(time.Now().Add(time.Minute))
	e3 := rc.EnableFullDuplex()
	fmt.Fprintf(w, "%v %v %v", e1, e2, e3)
}

// nilContentType asks for no Content-Type at all.
func nilContentType(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = nil
	io.WriteString(w, "<html><body>not sniffed</body></html>")
}

// contextKeys reports the server's context values.
func contextKeys(w http.ResponseWriter, r *http.Request) {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	addr := r.Context().Value(http.LocalAddrContextKey)
	fmt.Fprintf(w, "server=%v local=%v", srv != nil, addr != nil)
}

// hijackEcho answers an upgrade itself and echoes through the
// bufio.ReadWriter Hijack returned, 10 bytes.
func hijackEcho(w http.ResponseWriter, r *http.Request) {
	_ = r.Context().Done() // a handler that watches its context, then hijacks
	c, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	rw.Flush()
	echoN(rw, 10)
}

func echoN(rw *bufio.ReadWriter, n int) {
	buf := make([]byte, 64)
	for got := 0; got < n; {
		m, err := rw.Read(buf)
		if err != nil {
			return
		}
		got += m
		rw.Write(buf[:m])
		rw.Flush()
	}
}

// Upper is what the frameworks' routes answer: a sign they ran.
func Upper(s string) string { return strings.ToUpper(s) }
