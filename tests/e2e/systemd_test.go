package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// notifySock is the test's own stand-in for systemd's notify socket.
type notifySock struct {
	conn     *net.UnixConn
	msgs     chan string
	watchdog chan struct{}
}

// listenNotify binds a datagram socket at addr ("@name" is abstract).
func listenNotify(t *testing.T, addr string) *notifySock {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	n := &notifySock{conn: conn, msgs: make(chan string, 256), watchdog: make(chan struct{}, 4096)}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				close(n.msgs)
				return
			}
			msg := string(buf[:k])
			if msg == "WATCHDOG=1\n" {
				select {
				case n.watchdog <- struct{}{}:
				default:
				}
				continue
			}
			n.msgs <- msg
		}
	}()
	return n
}

// expect waits for the next datagram (watchdog pings aside) and checks that
// it holds every line of want.
func (n *notifySock) expect(t *testing.T, p *proc, want ...string) string {
	t.Helper()
	select {
	case msg := <-n.msgs:
		lines := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
		for _, w := range want {
			found := false
			for _, l := range lines {
				if l == w || strings.HasSuffix(w, "=") && strings.HasPrefix(l, w) {
					found = true
				}
			}
			if !found {
				t.Fatalf("notify message %q lacks %q (want %q)\n%s", msg, w, want, p.log.String())
			}
		}
		return msg
	case <-time.After(60 * time.Second):
		t.Fatalf("no notify message %q within 60s\n%s", want, p.log.String())
		return ""
	}
}

// TestSystemdNotify drives the sd_notify protocol across start, a graceful
// reload, a binary upgrade and SIGTERM, with the watchdog on, on an
// abstract notify socket (docs/deploy.md: the Type=notify unit).
func TestSystemdNotify(t *testing.T) {
	addr := fmt.Sprintf("@uwsgo-e2e-notify-%d", os.Getpid())
	ns := listenNotify(t, addr)
	env := []string{"NOTIFY_SOCKET=" + addr, "WATCHDOG_USEC=200000"}
	p, base, _, bin := masterServer(t, env, "--processes", "2", "--disable-logging")
	mpid := p.cmd.Process.Pid
	ns.expect(t, p, "STATUS=initializing uWSGI")
	ns.expect(t, p, "READY=1", "STATUS=uWSGI is ready")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, name := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC"} {
		if _, body := get(t, client, base+"/env?name="+name); !strings.HasSuffix(body, " ") {
			t.Fatalf("a worker sees %s: %q", name, body)
		}
	}

	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	p.signal(syscall.SIGHUP)
	ns.expect(t, p, "RELOADING=1", "MONOTONIC_USEC=", "STATUS=uWSGI is reloading (SIGHUP)")
	ns.expect(t, p, "READY=1", "STATUS=uWSGI is ready")
	prev := kids
	kids = waitChildren(t, mpid, 2, 60*time.Second, func(k []int) bool { return disjoint(k, prev) })

	v2 := filepath.Join(t.TempDir(), "app-v2")
	if err := goBuild(v2, "../../internal/testapp", "-ldflags", "-X main.version=v2"); err != nil {
		t.Fatal(err)
	}
	copyFile(t, v2, bin)
	p.signal(syscall.SIGHUP)
	ns.expect(t, p, "RELOADING=1", "MONOTONIC_USEC=")
	ns.expect(t, p, "READY=1", "STATUS=uWSGI is ready")
	p.waitLog("gracefully (RE)spawned uWSGI master process (pid: "+fmt.Sprint(mpid), 10*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, body := get(t, client, base+"/version"); strings.HasPrefix(body, "v2 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upgrade's READY=1 came, but v2 never answered")
		}
		time.Sleep(50 * time.Millisecond)
	}

	p.signal(syscall.SIGTERM)
	ns.expect(t, p, "STOPPING=1", "STATUS=uWSGI is stopping")
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	select {
	case msg, ok := <-ns.msgs:
		if ok {
			t.Fatalf("message after STOPPING=1: %q", msg)
		}
	default:
	}
	if pings := len(ns.watchdog); pings < 3 {
		t.Fatalf("%d watchdog pings over the whole run (WATCHDOG_USEC=200000: one per 100ms)", pings)
	}
	if strings.Contains(p.log.String(), "sd_notify") {
		t.Fatalf("notify errors in the log:\n%s", p.log.String())
	}
}
