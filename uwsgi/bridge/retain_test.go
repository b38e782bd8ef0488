package bridge

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// retainHandler starts, per request, a goroutine that reads the request
// 50 ms after the handler returned, as `go audit(r)` does; it reports what
// the goroutine saw that was not its own request's.
type retainHandler struct {
	wg  sync.WaitGroup
	bad atomic.Int32
	ok  atomic.Int32
}

func (h *retainHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Id")
	// Copies of what the request says now, to compare with later.
	addr, host, pad := strings.Clone(r.RemoteAddr), strings.Clone(r.Host), strings.Clone(r.Header.Get("X-Pad"))
	if pad != padOf(id) {
		h.bad.Add(1)
	}
	h.wg.Go(func() {
		time.Sleep(50 * time.Millisecond)
		ctx := r.Context()
		switch {
		case r.URL.Path != "/r/"+id, r.Header.Get("X-Id") != id, r.URL.Query().Get("id") != id:
			h.bad.Add(1)
		case r.RemoteAddr != addr, r.Host != host, r.Header.Get("X-Pad") != pad, addr == "":
			h.bad.Add(1)
		case ctx.Err() != context.Canceled:
			h.bad.Add(1) // done once the handler returned, as net/http's
		case ctx.Value(http.LocalAddrContextKey) == nil:
			h.bad.Add(1)
		default:
			h.ok.Add(1)
		}
	})
	io.WriteString(w, id)
}

// padOf is the X-Pad header of request id: every third request carries
// one long enough that its strings do not fit in its reqState's inline
// bytes.
func padOf(id string) string {
	if n, _ := strconv.Atoi(id); n%3 != 0 {
		return ""
	}
	return strings.Repeat(id+"-", 400/(len(id)+1))
}

// TestRetainedRequests: 1,000 requests each leave a goroutine reading the
// request after the handler returned; each sees its own values, under
// uwsgo as under net/http.
func TestRetainedRequests(t *testing.T) {
	const n = 1000
	run := func(name, base string, h *retainHandler) {
		var wg sync.WaitGroup
		var failed atomic.Int32
		for g := range 8 {
			wg.Go(func() {
				c := &http.Client{Timeout: 10 * time.Second}
				for i := g; i < n; i += 8 {
					id := fmt.Sprint(i)
					req, _ := http.NewRequest("GET", base+"/r/"+id+"?id="+id, nil)
					req.Header.Set("X-Id", id)
					if pad := padOf(id); pad != "" {
						req.Header.Set("X-Pad", pad)
					}
					resp, err := c.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(b) != id {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		h.wg.Wait()
		if failed.Load() != 0 || h.bad.Load() != 0 || h.ok.Load() != n {
			t.Errorf("%s: %d failed responses, %d goroutines saw another request or a live context, %d of %d fine",
				name, failed.Load(), h.bad.Load(), h.ok.Load(), n)
		}
	}
	std := new(retainHandler)
	ts := httptest.NewServer(std)
	defer ts.Close()
	run("net/http", ts.URL, std)
	ours := new(retainHandler)
	base, logs := serve(t, ours)
	run("bridge", base, ours)
	if logs.Load() != 0 {
		t.Errorf("%d log lines (panics?)", logs.Load())
	}
}
