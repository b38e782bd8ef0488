package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// servedSerial is the serial number of the certificate a new handshake gets.
func servedSerial(t *testing.T, ca *testCA, addr string) *big.Int {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber
}

// tlsLoad runs clients against url until stop: a third keep their
// HTTP/1.1 connection, a third make a new one (a new handshake) per
// request, a third keep an HTTP/2 connection. Each client makes at most
// limit requests.
type tlsLoad struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startTLSLoad(ca *testCA, url string, clients, limit int) *tlsLoad {
	l := &tlsLoad{stop: make(chan struct{})}
	for i := range clients {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool()}, DisableKeepAlives: i%3 == 1, ForceAttemptHTTP2: i%3 == 2}
		c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
		l.wg.Go(func() {
			defer tr.CloseIdleConnections()
			for range limit {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := c.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					l.failed.Add(1)
					l.firstErr.CompareAndSwap(nil, err.Error())
				} else {
					l.ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return l
}

func (l *tlsLoad) finish() string {
	close(l.stop)
	l.wg.Wait()
	return fmt.Sprintf("%d ok, %d failed (first error: %v)", l.ok.Load(), l.failed.Load(), l.firstErr.Load())
}

// TestHTTPSCertificateRotation: the certificate files are replaced and the
// instance reloaded (SIGHUP, then --touch-reload, then the master FIFO):
// new handshakes get the new serial, a request in flight on the old
// certificate finishes, and no request of a bounded load fails. A broken
// file at a reload is logged once and the new workers keep the last good
// certificate.
func TestHTTPSCertificateRotation(t *testing.T) {
	ca := newTestCA(t, "rotation")
	dir := t.TempDir()
	crt, key := ca.issue(dir, "server", "localhost", 2, false, "localhost", "127.0.0.1")
	touch, fifo := filepath.Join(dir, "touch"), filepath.Join(dir, "fifo")
	os.WriteFile(touch, nil, 0o600)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--https-socket", addr+","+crt+","+key, "--master", "--processes", "2",
		"--goroutines", "8", "--touch-reload", touch, "--master-fifo", fifo)
	waitDial(t, "tcp", addr, p)
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 2, 15*time.Second, nil)
	base := "https://localhost:" + addr[strings.LastIndexByte(addr, ':')+1:]
	if s := servedSerial(t, ca, addr); s.Int64() != 2 {
		t.Fatalf("serial %v at start", s)
	}
	load := startTLSLoad(ca, base+"/view/", 6, 5000)

	// A slow request on a connection made with serial 2 spans the reload.
	slow := make(chan string, 1)
	go func() {
		c := ca.client()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/sleep?ms=1500", nil)
		resp, err := c.Do(req)
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- fmt.Sprintf("%d %s serial=%v", resp.StatusCode, b, resp.TLS.PeerCertificates[0].SerialNumber)
	}()
	time.Sleep(300 * time.Millisecond)

	reload := func(how string) {
		t.Helper()
		prev := kids
		switch how {
		case "SIGHUP":
			p.signal(syscall.SIGHUP)
		case "touch":
			now := time.Now().Add(time.Second)
			os.Chtimes(touch, now, now)
		case "fifo":
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("r"))
			f.Close()
		}
		kids = waitChildren(t, mpid, 2, 60*time.Second, func(k []int) bool { return disjoint(k, prev) })
	}

	ca.issue(dir, "server", "localhost", 3, false, "localhost", "127.0.0.1")
	reload("SIGHUP")
	if s := servedSerial(t, ca, addr); s.Int64() != 3 {
		t.Fatalf("serial %v after SIGHUP, want 3", s)
	}
	if got := <-slow; got != "200 slept 1500 serial=2" {
		t.Fatalf("the request in flight across the reload: %s", got)
	}

	os.WriteFile(crt+".tmp", []byte("-----BEGIN CERTIFICATE-----\nbroken\n"), 0o600)
	os.Rename(crt+".tmp", crt)
	reload("touch")
	if s := servedSerial(t, ca, addr); s.Int64() != 3 {
		t.Fatalf("serial %v after a reload with a broken file, want 3 (the last good one)", s)
	}
	if n := strings.Count(p.log.String(), "the new workers keep the previous certificates"); n != 1 {
		t.Fatalf("the broken file was logged %d times, want once:\n%s", n, p.log.String())
	}

	ca.issue(dir, "server", "localhost", 4, false, "localhost", "127.0.0.1")
	reload("fifo")
	if s := servedSerial(t, ca, addr); s.Int64() != 4 {
		t.Fatalf("serial %v after the FIFO reload, want 4", s)
	}
	time.Sleep(300 * time.Millisecond)
	summary := load.finish()
	t.Logf("load across 3 reloads: %s", summary)
	if load.failed.Load() != 0 || load.ok.Load() < 100 || !strings.Contains(p.log.String(), "(HTTP/2.0 200)") {
		t.Fatalf("load across the reloads: %s", summary)
	}
}

// TestHTTPSAcrossBinaryUpgrade: a reload that upgrades the binary
// re-executes the master in place; the new master image adopts the
// certificates the workers run with (a file broken at that moment does
// not matter) and re-reads the files at the next reload.
func TestHTTPSAcrossBinaryUpgrade(t *testing.T) {
	ca := newTestCA(t, "upgrade")
	dir := t.TempDir()
	crt, key := ca.issue(dir, "server", "localhost", 2, false, "localhost", "127.0.0.1")
	bin := filepath.Join(t.TempDir(), "app")
	copyFile(t, bins.testapp, bin)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bin, nil, "--https-socket", addr+","+crt+","+key, "--master", "--processes", "1", "--disable-logging")
	waitDial(t, "tcp", addr, p)
	mpid := p.cmd.Process.Pid
	kids := waitChildren(t, mpid, 1, 15*time.Second, nil)

	v2 := filepath.Join(t.TempDir(), "app-v2")
	if err := goBuild(v2, "../../internal/testapp", "-ldflags", "-X main.version=v2"); err != nil {
		t.Fatal(err)
	}
	copyFile(t, v2, bin)
	os.WriteFile(crt+".tmp", []byte("broken"), 0o600)
	os.Rename(crt+".tmp", crt)
	p.signal(syscall.SIGHUP)
	kids = waitChildren(t, mpid, 1, 60*time.Second, func(k []int) bool { return disjoint(k, kids) })
	p.waitLog("gracefully (RE)spawned uWSGI master process", 30*time.Second)
	c := ca.client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get(t, c, "https://localhost:"+addr[strings.LastIndexByte(addr, ':')+1:]+"/version")
		if strings.HasPrefix(body, "v2 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q after the upgrade", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := servedSerial(t, ca, addr); s.Int64() != 2 {
		t.Fatalf("serial %v after the upgrade, want 2", s)
	}
	ca.issue(dir, "server", "localhost", 3, false, "localhost", "127.0.0.1")
	prev := kids
	p.signal(syscall.SIGHUP)
	waitChildren(t, mpid, 1, 60*time.Second, func(k []int) bool { return disjoint(k, prev) })
	if s := servedSerial(t, ca, addr); s.Int64() != 3 {
		t.Fatalf("serial %v after the reload following the upgrade, want 3", s)
	}
	if p.cmd.Process.Pid != mpid || !alive(mpid) {
		t.Fatal("the master changed")
	}
}
