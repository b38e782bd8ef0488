package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pebble is Let's Encrypt's test CA (github.com/letsencrypt/pebble/v2),
// with its mock DNS answering 127.0.0.1 for every name.
type pebble struct {
	dir, mgmt string
	log       *proc
	client    *http.Client // trusts the test CA pebble's API uses
}

// startPebble runs pebble-challtestsrv and pebble; pebble validates
// HTTP-01 on httpPort and TLS-ALPN-01 on tlsPort of 127.0.0.1, and issues
// certificates valid for validity.
func startPebble(t *testing.T, ca *testCA, httpPort, tlsPort int, validity time.Duration, env ...string) *pebble {
	t.Helper()
	pb := requirePeer(t, "pebble")
	cts := requirePeer(t, "pebble-challtestsrv")
	dir := t.TempDir()
	dns := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dnsSrv := start(t, cts, nil, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dnsserver", dns,
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "", "-management", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	dnsSrv.waitLog("Starting challenge servers", 10*time.Second)
	crt, key := ca.issue(dir, "pebble", "127.0.0.1", 50, false, "127.0.0.1", "localhost")
	api, mgmt := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": api, "managementListenAddress": mgmt, "certificate": crt, "privateKey": key,
		"httpPort": httpPort, "tlsPort": tlsPort, "ocspResponderURL": "", "externalAccountBindingRequired": false,
		"retryAfter": map[string]int{"authz": 1, "order": 1}, "keyAlgorithm": "ecdsa",
		"profiles": map[string]any{"default": map[string]any{"description": "test", "validityPeriod": int(validity.Seconds())}},
	}}
	b, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble.json")
	os.WriteFile(cfgFile, b, 0o600)
	if len(env) == 0 {
		env = []string{"PEBBLE_VA_NOSLEEP=1"}
	}
	p := start(t, pb, append(env, "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"),
		"-config", cfgFile, "-dnsserver", dns)
	waitDial(t, "tcp", api, p)
	return &pebble{dir: "https://" + api + "/dir", mgmt: mgmt, log: p,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool()}}}}
}

// roots is a pool with pebble's (random, per run) root certificate.
func (pb *pebble) roots(t *testing.T) *x509.CertPool {
	t.Helper()
	resp, err := pb.client.Get("https://" + pb.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble root: %s", b)
	}
	return pool
}

func (pb *pebble) issued() int {
	return strings.Count(pb.log.log.String(), "Issued certificate serial")
}

// acmeServer starts the testapp in ACME mode for uwsgo.test, trusting
// the test CA for pebble's API (SSL_CERT_FILE).
func acmeServer(t *testing.T, ca *testCA, pb *pebble, httpPort, tlsPort int, args ...string) *proc {
	t.Helper()
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", tlsPort)
	p := start(t, bins.testapp, []string{"SSL_CERT_FILE=" + ca.File}, append([]string{
		"--https-socket", tlsAddr + ",acme", "--http-socket", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--acme-domain", "uwsgo.test", "--acme-email", "ops@uwsgo.test", "--acme-cache", filepath.Join(t.TempDir(), "acme"),
		"--acme-directory", pb.dir}, args...)...)
	waitDial(t, "tcp", tlsAddr, p)
	return p
}

// acmeHandshake returns the serial of the certificate uwsgo.test gets.
func acmeHandshake(addr string, roots *x509.CertPool) (string, error) {
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "uwsgo.test"})
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

// TestACMEWithPebble: --https-socket ADDR,acme gets its certificate from
// pebble by itself. Two workers, handshakes on both at once: one order
// (pebble issues one certificate), every handshake verifies against
// pebble's root, curl is served; the CA validated through TLS-ALPN-01 on
// the HTTPS socket (no HTTP-01 request reached the HTTP socket). The
// certificate is renewed before it expires, without a restart: new
// handshakes get a new serial from the same workers.
func TestACMEWithPebble(t *testing.T) {
	ca := newTestCA(t, "pebble-api")
	httpPort, tlsPort := freePort(t), freePort(t)
	// pebble waits up to 3 s before it validates, and --socket-timeout is
	// 1 s: the first handshakes often wait longer than that for the order,
	// and must not be cut (acmeCertificate restarts their deadline).
	pb := startPebble(t, ca, httpPort, tlsPort, 45*time.Second, "PEBBLE_VA_SLEEPTIME=3")
	p := acmeServer(t, ca, pb, httpPort, tlsPort, "--master", "--processes", "2", "--socket-timeout", "1")
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", tlsPort)
	kids := waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	roots := pb.roots(t)
	var wg sync.WaitGroup
	serials := make([]string, 8)
	errs := make([]error, 8)
	for i := range serials {
		wg.Go(func() { serials[i], errs[i] = acmeHandshake(tlsAddr, roots) })
	}
	wg.Wait()
	for i := range serials {
		if errs[i] != nil || serials[i] != serials[0] {
			t.Fatalf("handshake %d: serial %q, error %v (first: %q)", i, serials[i], errs[i], serials[0])
		}
	}
	if n := pb.issued(); n != 1 {
		t.Fatalf("pebble issued %d certificates for the first handshakes on 2 workers, want 1:\n%s", n, pb.log.log.String())
	}
	if strings.Contains(p.log.String(), "acme-challenge") {
		t.Fatalf("HTTP-01 was used, want TLS-ALPN-01:\n%s", p.log.String())
	}
	root := filepath.Join(t.TempDir(), "root.pem")
	resp, err := pb.client.Get("https://" + pb.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	os.WriteFile(root, b, 0o600)
	if out, _ := curl(t, false, "--cacert", root, "--resolve", fmt.Sprintf("uwsgo.test:%d:127.0.0.1", tlsPort),
		fmt.Sprintf("https://uwsgo.test:%d/view/", tlsPort)); out != "<h1>Hello World</h1>" {
		t.Fatalf("curl over the ACME certificate: %q", out)
	}

	// Renewal: a third of 45 s before expiry, with up to 1.5 s of jitter.
	deadline := time.Now().Add(90 * time.Second)
	for {
		s, err := acmeHandshake(tlsAddr, roots)
		if err == nil && s != serials[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no renewal after 90 s: serial %q, error %v; pebble issued %d", s, err, pb.issued())
		}
		time.Sleep(500 * time.Millisecond)
	}
	if now := waitChildren(t, p.cmd.Process.Pid, 2, time.Second, nil); fmt.Sprint(now) != fmt.Sprint(kids) {
		t.Fatalf("workers changed during the renewal: %v then %v", kids, now)
	}
	// One renewal serves both workers: the second one's renewal waits for
	// the first one's order and adopts its certificate (docs/tls.md).
	if n := pb.issued(); n != 2 {
		t.Fatalf("pebble issued %d certificates, want 2: one for the first handshakes, one renewal for both workers:\n%s", n, pb.log.log.String())
	}
}

// TestACMEHTTP01: when the CA cannot reach the HTTPS socket for
// TLS-ALPN-01, the order falls back to HTTP-01, answered on the
// instance's --http-socket.
func TestACMEHTTP01(t *testing.T) {
	ca := newTestCA(t, "pebble-api")
	httpPort, tlsPort, nowhere := freePort(t), freePort(t), freePort(t)
	pb := startPebble(t, ca, httpPort, nowhere, time.Hour)
	p := acmeServer(t, ca, pb, httpPort, tlsPort)
	roots := pb.roots(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := acmeHandshake(fmt.Sprintf("127.0.0.1:%d", tlsPort), roots)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no certificate through HTTP-01 after 60 s: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	p.waitLog("GET /.well-known/acme-challenge/", 5*time.Second)
	if !strings.Contains(p.log.String(), "(HTTP/1.1 200)") {
		t.Fatalf("the HTTP-01 request was not answered 200:\n%s", p.log.String())
	}
}
