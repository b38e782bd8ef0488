package bridge

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// echoUpgrade hijacks and echoes what the client sends, through the
// bufio.ReadWriter Hijack returned. pending101 writes the 101 with
// WriteHeader before hijacking (coder/websocket's way); watch arms the
// disconnect watcher first (as a handler waiting on r.Context() does).
func echoUpgrade(pending101, watch bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if watch {
			_ = r.Context().Done()
			time.Sleep(20 * time.Millisecond) // let the watcher block in its read
		}
		if pending101 {
			w.Header().Set("Upgrade", "echo")
			w.Header().Set("Connection", "Upgrade")
			w.WriteHeader(http.StatusSwitchingProtocols)
		}
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		if !pending101 {
			rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			rw.Flush()
		}
		buf := make([]byte, 64)
		for got := 0; got < len("PING1PING2"); {
			n, err := rw.Read(buf)
			if err != nil {
				return
			}
			got += n
			rw.Write(buf[:n])
			rw.Flush()
		}
	}
}

// upgradeEcho sends an upgrade with PING1 in the same write, reads the
// 101, sends PING2 and returns the status and what came back.
func upgradeEcho(t *testing.T, addr string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nPING1")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err.Error()
	}
	if resp.Header.Get("Upgrade") != "echo" {
		return resp.StatusCode, "no Upgrade header in the 101"
	}
	time.Sleep(30 * time.Millisecond)
	io.WriteString(c, "PING2")
	got := make([]byte, 10)
	if _, err := io.ReadFull(br, got); err != nil {
		return resp.StatusCode, string(got) + " " + err.Error()
	}
	return resp.StatusCode, string(got)
}

// TestHijackLikeNetHTTP: bytes behind the upgrade request, a pending 101
// sent by Hijack, and a disconnect watcher stopped before the handover,
// compared with net/http.
func TestHijackLikeNetHTTP(t *testing.T) {
	for _, c := range []struct {
		name              string
		pending101, watch bool
	}{{"plain", false, false}, {"WriteHeader(101) then Hijack", true, false}, {"watched context", false, true}, {"both", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			h := echoUpgrade(c.pending101, c.watch)
			ts := httptest.NewServer(h)
			defer ts.Close()
			wantStatus, want := upgradeEcho(t, ts.Listener.Addr().String())
			base, _ := serve(t, h)
			status, got := upgradeEcho(t, strings.TrimPrefix(base, "http://"))
			if wantStatus != 101 || want != "PING1PING2" {
				t.Fatalf("net/http itself: %d %q", wantStatus, want)
			}
			if status != wantStatus || got != want {
				t.Fatalf("bridge: %d %q, net/http: %d %q", status, got, wantStatus, want)
			}
		})
	}
}
