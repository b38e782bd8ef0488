// Command testapp is the app the process tests drive: one handler per
// behaviour they check. It is not an example; see examples/hello.
package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi"
	"github.com/valyala/fasthttp"
)

// version is replaced with -ldflags "-X main.version=..." by tests that
// check which binary answers.
var version = "v1"

// hoard keeps /alloc's memory alive.
var hoard [][]byte

// burnInput is what /cpu hashes.
var burnInput [128 << 10]byte

func main() {
	if f := os.Getenv("TESTAPP_FAIL_FILE"); f != "" {
		if _, err := os.Stat(f); err == nil {
			fmt.Fprintf(os.Stderr, "testapp: failing on purpose before uwsgi.Run (pid %d, parent %d)\n", os.Getpid(), os.Getppid())
			os.Exit(1)
		}
	}
	if os.Getenv("TESTAPP_SIGNALS") == "1" {
		report := func(n uint8) { fmt.Fprintf(os.Stderr, "testapp: signal %d on worker %d\n", n, uwsgi.WorkerID()) }
		uwsgi.RegisterSignal(17, "workers", report)
		uwsgi.RegisterSignal(18, "", report)
		uwsgi.RegisterSignal(19, "worker2", report)
		uwsgi.RegisterSignal(20, "worker", func(n uint8) { report(n); panic("testapp: signal handler panic") })
		uwsgi.RegisterSignal(21, "", report)
		uwsgi.AddTimer(21, 1)
	}
	if f := os.Getenv("TESTAPP_FILEMON"); f != "" {
		uwsgi.RegisterSignal(22, "", func(n uint8) { fmt.Fprintf(os.Stderr, "testapp: file signal %d\n", n) })
		uwsgi.AddFileMonitor(22, f)
	}
	uwsgi.RegisterRPC("hello", func(args ...[]byte) []byte {
		parts := []string{"hello from uwsgo"}
		for _, a := range args {
			parts = append(parts, string(a))
		}
		return []byte(strings.Join(parts, " "))
	})
	uwsgi.RegisterRPC("big", func(args ...[]byte) []byte { return bytes.Repeat([]byte("z"), 100000) })
	http.HandleFunc("/rpc", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var args [][]byte
		for _, a := range q["arg"] {
			args = append(args, []byte(a))
		}
		out, err := uwsgi.RPC(q.Get("node"), q.Get("name"), args...)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		w.Write(out)
	})
	http.HandleFunc("/raise", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		fmt.Fprint(w, uwsgi.Signal(uint8(n)))
	})
	http.HandleFunc("/view/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<h1>Hello World</h1>")
	})
	http.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %d %d", version, os.Getpid(), uwsgi.WorkerID())
	})
	http.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		if ms == 0 {
			ms = 1000
		}
		fmt.Fprintln(os.Stderr, "testapp: sleep start")
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "slept %d", ms)
	})
	http.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, r.Body)
	})
	http.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %s", n, hex.EncodeToString(h.Sum(nil)))
	})
	http.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "read %d: %v", n, err)
	})
	http.HandleFunc("/tls", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(tlsReport(r.TLS, r.Proto))
	})
	http.HandleFunc("/vars/", varsHandler)
	http.HandleFunc("/vars", varsHandler)
	http.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Path[len("/status/"):])
		w.WriteHeader(code)
	})
	http.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
		}
	})
	http.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(os.Stderr, "testapp: stuck start")
		time.Sleep(30 * time.Second) // ignores its context
		fmt.Fprint(w, "unstuck")
	})
	http.HandleFunc("/polite", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(os.Stderr, "testapp: polite start")
		select {
		case <-r.Context().Done():
			fmt.Fprintf(w, "cancelled: %v", r.Context().Err())
		case <-time.After(30 * time.Second):
			fmt.Fprint(w, "finished")
		}
	})
	http.HandleFunc("/extend", func(w http.ResponseWriter, r *http.Request) {
		ok := uwsgi.SetHarakiri(r, 10)
		time.Sleep(3 * time.Second)
		fmt.Fprintf(w, "extended %v", ok)
	})
	http.HandleFunc("/alloc", func(w http.ResponseWriter, r *http.Request) {
		mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
		b := make([]byte, mb<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touch every page so it counts in RSS
		}
		hoard = append(hoard, b)
		fmt.Fprintf(w, "holding %d MB more", mb)
	})
	http.HandleFunc("/reserve", func(w http.ResponseWriter, r *http.Request) {
		// Address space without memory (PROT_NONE), for reload-on-as.
		mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
		b, err := syscall.Mmap(-1, 0, mb<<20, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		hoard = append(hoard, b)
		fmt.Fprintf(w, "reserved %d MB more", mb)
	})
	http.HandleFunc("/sendfile", func(w http.ResponseWriter, r *http.Request) {
		// An X-Sendfile header for collect-header tests.
		w.Header().Set("X-Sendfile", r.URL.Query().Get("f"))
		fmt.Fprint(w, "from the app")
	})
	http.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) {
		// CPU-bound work for make bench's scaling rows: hash 128 KiB,
		// ?times=N times over (at most 64).
		n, _ := strconv.Atoi(r.URL.Query().Get("times"))
		sum := sha256.Sum256(burnInput[:])
		for i := 1; i < min(n, 64); i++ {
			next := sha256.Sum256(burnInput[:])
			for j := range sum {
				sum[j] ^= next[j]
			}
		}
		fmt.Fprintf(w, "%x", sum[:4])
	})
	cacheHandlers()
	http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %s", os.Getpid(), os.Getenv(r.URL.Query().Get("name")))
	})
	http.HandleFunc("/procs", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %d", os.Getpid(), runtime.GOMAXPROCS(0))
	})
	startHammer()
	http.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("testapp: deliberate panic")
	})
	if os.Getenv("TESTAPP_FAST") == "1" {
		uwsgi.RunFast(func(ctx *fasthttp.RequestCtx) {
			if string(ctx.Path()) == "/read" {
				// What the handler's read of the body returns.
				var n int64
				var err error
				if s := ctx.RequestBodyStream(); s != nil {
					n, err = io.Copy(io.Discard, s)
				} else {
					n = int64(len(ctx.PostBody()))
				}
				fmt.Fprintf(ctx, "read %d: %v", n, err)
				return
			}
			if string(ctx.Path()) == "/tls" {
				ctx.SetContentType("application/json")
				_ = json.NewEncoder(ctx).Encode(tlsReport(ctx.TLSConnectionState(), string(ctx.Request.Header.Protocol())))
				return
			}
			ctx.SetContentType("text/html")
			fmt.Fprintf(ctx, "<h1>Hello World</h1>")
		})
	}
	uwsgi.Run()
}

// tlsReport is what a handler sees of the TLS connection (nil: none).
func tlsReport(st *tls.ConnectionState, proto string) map[string]any {
	m := map[string]any{"tls": st != nil, "proto": proto}
	if st != nil {
		m["version"] = tls.VersionName(st.Version)
		m["alpn"] = st.NegotiatedProtocol
		m["sni"] = st.ServerName
		if len(st.PeerCertificates) > 0 {
			m["client"] = st.PeerCertificates[0].Subject.CommonName
		}
	}
	return m
}

// varsHandler reports what the app sees of a request, as JSON.
func varsHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"vars": uwsgi.Vars(r), "method": r.Method, "uri": r.RequestURI, "path": r.URL.Path,
		"query": r.URL.RawQuery, "host": r.Host, "remote": r.RemoteAddr, "proto": r.Proto,
		"header": r.Header, "tls": r.TLS != nil, "args": uwsgi.Args(), "body": string(body),
		"contentLength": r.ContentLength,
	})
}
