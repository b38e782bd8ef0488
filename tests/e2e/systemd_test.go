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

// TestSocketActivation runs the master under systemd-socket-activate with a
// TCP socket an --http-socket names, a unix socket a --socket names, and a
// TCP socket no option names (served as uwsgi, the protocol of --socket),
// across a graceful reload and a binary upgrade (docs/deploy.md: the
// .socket unit).
func TestSocketActivation(t *testing.T) {
	activate := requirePeer(t, "systemd-socket-activate")
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	copyFile(t, bins.testapp, bin)
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	extraAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	unixPath := filepath.Join(dir, "app.sock")
	p := start(t, activate, nil, "-l", httpAddr, "-l", unixPath, "-l", extraAddr, "--",
		bin, "--master", "--processes", "2", "--http-socket", httpAddr, "--socket", unixPath, "--vacuum", "--disable-logging")
	waitDial(t, "tcp", httpAddr, p) // the first connection makes systemd-socket-activate exec the app
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	check := func(version string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, body := get(t, client, "http://"+httpAddr+"/version")
			_, ubody, uerr := uwsgiGet("unix", unixPath, "/version")
			_, ebody, eerr := uwsgiGet("tcp", extraAddr, "/version")
			if strings.HasPrefix(body, version+" ") && uerr == nil && strings.HasPrefix(ubody, version+" ") && eerr == nil && strings.HasPrefix(ebody, version+" ") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("want %s everywhere: http %q, unix uwsgi %q %v, unnamed tcp uwsgi %q %v\n%s", version, body, ubody, uerr, ebody, eerr, p.log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	check("v1")
	log := p.log.String()
	for _, want := range []string{
		"attached to TCP address " + httpAddr + " fd 3 (http, socket-activated)",
		"attached to UNIX address " + unixPath + " fd 4 (uwsgi, socket-activated)",
		"attached to TCP address " + extraAddr + " fd 5 (uwsgi, socket-activated, named by no option)",
	} {
		if !strings.Contains(log, want) {
			t.Fatalf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "bound to") {
		t.Fatalf("the master bound a socket it inherited:\n%s", log)
	}
	for _, name := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
		if _, body := get(t, client, "http://"+httpAddr+"/env?name="+name); !strings.HasSuffix(body, " ") {
			t.Fatalf("a worker sees %s: %q", name, body)
		}
	}
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	p.signal(syscall.SIGHUP)
	prev := kids
	kids = waitChildren(t, mpid, 2, 60*time.Second, func(k []int) bool { return disjoint(k, prev) })
	check("v1")

	v2 := filepath.Join(t.TempDir(), "app-v2")
	if err := goBuild(v2, "../../internal/testapp", "-ldflags", "-X main.version=v2"); err != nil {
		t.Fatal(err)
	}
	copyFile(t, v2, bin)
	p.signal(syscall.SIGHUP)
	p.waitLog("gracefully (RE)spawned uWSGI master process", 60*time.Second)
	check("v2")

	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if fi, err := os.Lstat(unixPath); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("--vacuum removed the socket-activated unix socket %s: %v", unixPath, err)
	}
	if strings.Contains(p.log.String(), "VACUUM: unix socket") {
		t.Fatalf("vacuum touched an activated socket:\n%s", p.log.String())
	}
}

// TestSystemdNotifySingleAndDaemonized: a process serving alone sends
// READY=1 once it accepts and STOPPING=1 at SIGTERM; the copy --daemonize
// starts names itself with MAINPID=.
func TestSystemdNotifySingleAndDaemonized(t *testing.T) {
	addr := fmt.Sprintf("@uwsgo-e2e-notify-single-%d", os.Getpid())
	ns := listenNotify(t, addr)
	p, base := httpServer(t, bins.testapp, []string{"NOTIFY_SOCKET=" + addr})
	ns.expect(t, p, "STATUS=initializing uWSGI")
	ns.expect(t, p, "READY=1", "STATUS=uWSGI is ready")
	if _, body := get(t, &http.Client{}, base+"/env?name=NOTIFY_SOCKET"); !strings.HasSuffix(body, " ") {
		t.Fatalf("the app sees NOTIFY_SOCKET: %q", body)
	}
	p.signal(syscall.SIGTERM)
	ns.expect(t, p, "STOPPING=1")
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}

	daddr := fmt.Sprintf("@uwsgo-e2e-notify-daemon-%d", os.Getpid())
	dns := listenNotify(t, daddr)
	logFile := filepath.Join(t.TempDir(), "daemon.log")
	haddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	d := start(t, bins.testapp, []string{"NOTIFY_SOCKET=" + daddr}, "--master", "--http-socket", haddr, "--daemonize", logFile)
	if code := d.wait(30 * time.Second); code != 0 {
		t.Fatalf("the first process exited %d", code)
	}
	msg := dns.expect(t, d, "STATUS=initializing uWSGI", "MAINPID=")
	var mainPID int
	for _, l := range strings.Split(msg, "\n") {
		if v, ok := strings.CutPrefix(l, "MAINPID="); ok {
			fmt.Sscan(v, &mainPID)
		}
	}
	if mainPID <= 0 || mainPID == d.cmd.Process.Pid || !alive(mainPID) {
		t.Fatalf("MAINPID=%d (first process %d)", mainPID, d.cmd.Process.Pid)
	}
	t.Cleanup(func() { _ = syscall.Kill(mainPID, syscall.SIGKILL) })
	dns.expect(t, d, "READY=1")
	if err := syscall.Kill(mainPID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	dns.expect(t, d, "STOPPING=1")
	waitGone(t, 30*time.Second, "the daemon still runs after SIGTERM", mainPID)
}

// TestSocketActivationUWSGIDiffers runs real uWSGI and uwsgo the same way
// under systemd-socket-activate with --http-socket on the activated address:
// uWSGI 2.0.21 attaches the socket as a uwsgi-protocol one and cannot
// answer HTTP on it; uwsgo serves it as the HTTP socket it was named.
func TestSocketActivationUWSGIDiffers(t *testing.T) {
	activate := requirePeer(t, "systemd-socket-activate")
	uw := requirePeer(t, "uwsgi")
	serve := func(bin string) (*proc, error) {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := start(t, activate, nil, "-l", addr, "--", bin, "--http-socket", addr)
		waitDial(t, "tcp", addr, p) // makes systemd-socket-activate exec the server
		c := &http.Client{Timeout: 10 * time.Second}
		var err error
		for range 20 { // the first connections may meet a server still starting
			var resp *http.Response
			if resp, err = c.Get("http://" + addr + "/view/"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return p, nil
				}
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			time.Sleep(100 * time.Millisecond)
		}
		return p, err
	}
	if _, err := serve(bins.hello); err != nil {
		t.Fatalf("uwsgo does not answer HTTP on its activated --http-socket: %v", err)
	}
	p, err := serve(uw)
	if err == nil {
		t.Fatalf("uWSGI answered HTTP on an activated --http-socket: the difference documented in deploy.md is gone")
	}
	p.waitLog("invalid request block size", 10*time.Second)
}

// TestStopWhileStarting: SIGTERM while the master is still setting up (a
// unit stopped as it starts) is a graceful stop once setup ends, not a
// death by the signal's default action.
func TestStopWhileStarting(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--master", "--processes", "2", "--http-socket", addr, "--hook-master-start", "exec:sleep 1")
	p.waitLog(`running "exec:sleep 1" (master-start)`, 15*time.Second)
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit status %d (-1: killed by the signal)", code)
	}
	if !strings.Contains(p.log.String(), "graceful shutdown triggered") {
		t.Fatalf("not a graceful stop:\n%s", p.log.String())
	}
}

// TestSystemdNotifyMatchesUWSGI: the first two datagrams, byte for byte,
// are the ones real uWSGI sends (uWSGI sends nothing more).
func TestSystemdNotifyMatchesUWSGI(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	got := map[string][]string{}
	for name, bin := range map[string]string{"uwsgi": uw, "uwsgo": bins.testapp} {
		addr := fmt.Sprintf("@uwsgo-e2e-notify-%s-%d", name, os.Getpid())
		ns := listenNotify(t, addr)
		haddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := start(t, bin, []string{"NOTIFY_SOCKET=" + addr}, "--master", "--http-socket", haddr)
		got[name] = append(got[name], ns.expect(t, p, "STATUS=initializing uWSGI"), ns.expect(t, p, "READY=1"))
		p.signal(syscall.SIGINT)
		p.wait(30 * time.Second)
	}
	for i := range 2 {
		if got["uwsgi"][i] != got["uwsgo"][i] {
			t.Errorf("datagram %d: uWSGI %q, uwsgo %q", i+1, got["uwsgi"][i], got["uwsgo"][i])
		}
	}
}
