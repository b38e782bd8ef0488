package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// httpsServer starts bin with an --https-socket on a free port (the CA's
// certificate for 127.0.0.1 and localhost) and returns the process and
// the socket's address. extra is appended to the socket's value
// (",CIPHERS,CLIENT_CA").
func httpsServer(t *testing.T, ca *testCA, extra string, env []string, args ...string) (*proc, string) {
	t.Helper()
	dir := t.TempDir()
	crt, key := ca.issue(dir, "server", "localhost", 2, false, "localhost", "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, env, append([]string{"--https-socket", addr + "," + crt + "," + key + extra}, args...)...)
	waitDial(t, "tcp", addr, p)
	return p, addr
}

// curl runs curl with args and returns its stdout; a failed transfer
// fails the test unless allowFail.
func curl(t *testing.T, allowFail bool, args ...string) (string, error) {
	t.Helper()
	requirePeer(t, "curl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--max-time", "20"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil && !allowFail {
		t.Fatalf("curl %v: %v\n%s", args, err, errb.String())
	}
	if err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, errb.String())
	}
	return out.String(), nil
}

// TestHTTPSSocketWithCurl: curl --cacert against --https-socket (a single
// process, and a master with 2 workers), over HTTP/1.1 and over HTTP/2: a
// GET of the vars (HTTPS=on, r.TLS set, TLS 1.3 by default), a 1 MiB POST
// echoed byte for byte, and two requests on one kept-alive connection.
func TestHTTPSSocketWithCurl(t *testing.T) {
	requirePeer(t, "curl")
	ca := newTestCA(t, "curl")
	for _, mode := range [][]string{nil, {"--master", "--processes", "2", "--goroutines", "4"}} {
		t.Run(fmt.Sprintf("%v", mode), func(t *testing.T) {
			p, addr := httpsServer(t, ca, "", nil, mode...)
			port := addr[strings.LastIndexByte(addr, ':')+1:]
			base := "https://localhost:" + port
			for _, c := range []struct{ flag, proto string }{{"--http1.1", "HTTP/1.1"}, {"--http2", "HTTP/2.0"}} {
				httpsRoundTrips(t, ca, base, port, c.flag, c.proto)
			}
			if strings.Contains(p.log.String(), "TLS handshake") {
				t.Fatalf("a handshake failed:\n%s", p.log.String())
			}
		})
	}
}

// httpsRoundTrips is TestHTTPSSocketWithCurl's checks with one curl
// protocol flag.
func httpsRoundTrips(t *testing.T, ca *testCA, base, port, flag, proto string) {
	t.Helper()
	curl := func(t *testing.T, allowFail bool, args ...string) (string, error) {
		t.Helper()
		return curl(t, allowFail, append([]string{flag}, args...)...)
	}
	out, _ := curl(t, false, "--cacert", ca.File, base+"/vars?x=1")
	var v struct {
		Vars  map[string]string
		TLS   bool
		Proto string
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("vars: %v: %s", err, out)
	}
	if !v.TLS || v.Vars["HTTPS"] != "on" || v.Vars["UWSGI_SCHEME"] != "https" || v.Vars["SERVER_PORT"] != port || v.Proto != proto {
		t.Fatalf("vars over HTTPS: tls=%v proto=%s HTTPS=%q UWSGI_SCHEME=%q SERVER_PORT=%q", v.TLS, v.Proto, v.Vars["HTTPS"], v.Vars["UWSGI_SCHEME"], v.Vars["SERVER_PORT"])
	}
	if _, ok := v.Vars["HTTPS_DN"]; ok {
		t.Fatalf("HTTPS_DN without a client certificate: %q", v.Vars["HTTPS_DN"])
	}
	out, _ = curl(t, false, "--cacert", ca.File, base+"/tls")
	if !strings.Contains(out, `"version":"TLS 1.3"`) || !strings.Contains(out, `"sni":"localhost"`) {
		t.Fatalf("/tls: %s", out)
	}

	body := make([]byte, 1<<20)
	_, _ = rand.Read(body)
	f := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ = curl(t, false, "--cacert", ca.File, "--data-binary", "@"+f, "-H", "Content-Type: application/octet-stream", base+"/echo")
	if !bytes.Equal([]byte(out), body) {
		t.Fatalf("1 MiB POST echoed %d bytes, equal=%v", len(out), bytes.Equal([]byte(out), body))
	}

	// Two URLs in one curl run share the connection: the second
	// makes no new connection.
	out, _ = curl(t, false, "--cacert", ca.File, "-o", "/dev/null", "-o", "/dev/null",
		"-w", "%{http_code}:%{num_connects}\n", base+"/view/", base+"/view/")
	if out != "200:1\n200:0\n" {
		t.Fatalf("keep-alive: curl reported %q, want 200:1 then 200:0", out)
	}
}

// sClient runs openssl s_client against addr with extra args and returns
// its output and whether the handshake succeeded.
func sClient(t *testing.T, addr string, args ...string) (string, bool) {
	t.Helper()
	requirePeer(t, "openssl")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", append([]string{"s_client", "-connect", addr}, args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestHTTPSRefusesOldTLS: TLS 1.1 (and 1.0) handshakes are refused, TLS 1.2
// is served; the same client is served TLS 1.1 with --ssl-enable-tlsv1,
// which proves the refusal is the server's. The refused handshake is
// logged once.
func TestHTTPSRefusesOldTLS(t *testing.T) {
	ca := newTestCA(t, "old")
	p, addr := httpsServer(t, ca, "", nil)
	old := []string{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}
	if out, ok := sClient(t, addr, old...); ok || !strings.Contains(out, "alert protocol version") {
		t.Fatalf("TLS 1.1 was not refused with a protocol_version alert:\n%s", out)
	}
	if out, ok := sClient(t, addr, "-tls1_2", "-CAfile", ca.File, "-verify_return_error"); !ok || !strings.Contains(out, "Protocol  : TLSv1.2") {
		t.Fatalf("TLS 1.2 handshake failed:\n%s", out)
	}
	p.waitLog("TLS handshake with", 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(p.log.String(), "\n"+"uwsgi: TLS handshake with"); n != 1 || strings.Contains(p.log.String(), "error when serving") {
		t.Fatalf("want one line for the refused handshake, got %d:\n%s", n, p.log.String())
	}

	_, addr2 := httpsServer(t, ca, "", nil, "--ssl-enable-tlsv1")
	if out, ok := sClient(t, addr2, old...); !ok || !strings.Contains(out, "Protocol  : TLSv1.1") || strings.Contains(out, "Cipher is (NONE)") {
		t.Fatalf("with --ssl-enable-tlsv1, TLS 1.1 was refused:\n%s", out)
	}
}

// TestHTTPSBadFilesAtStart: a missing certificate, a key that does not
// match, a CA file without a certificate: exit 1 naming the file.
func TestHTTPSBadFilesAtStart(t *testing.T) {
	ca := newTestCA(t, "bad")
	dir := t.TempDir()
	crt, key := ca.issue(dir, "a", "localhost", 2, false, "localhost")
	_, key2 := ca.issue(dir, "b", "localhost", 3, false, "localhost")
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(dir, "missing.crt")
	for _, c := range []struct{ spec, want string }{
		{missing + "," + key, missing},
		{crt + "," + key2, key2},
		{junk + "," + key, junk},
		{crt + "," + key + ",," + junk, junk},
		{crt + "," + key + ",,!" + missing, missing},
		{crt, "socket,crt,key"},
	} {
		for _, mode := range [][]string{nil, {"--master"}} {
			args := append([]string{"--https-socket", fmt.Sprintf("127.0.0.1:%d,%s", freePort(t), c.spec)}, mode...)
			code, out := run(t, bins.testapp, nil, args...)
			if code != 1 || !strings.Contains(out, c.want) {
				t.Fatalf("%v: exit %d, want 1 naming %s:\n%s", args, code, c.want, out)
			}
		}
	}
}

// TestHTTPSClientCertificates: the CLIENT_CA field verifies client
// certificates; with "!" they are required, without it optional (verified
// when given), as uWSGI's SSL_VERIFY_FAIL_IF_NO_PEER_CERT reads it. The
// same curl runs against uWSGI's --https-socket with the same files and
// must meet the same fate. The app sees HTTPS_DN and r.TLS's peer.
func TestHTTPSClientCertificates(t *testing.T) {
	requirePeer(t, "curl")
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	ca := newTestCA(t, "clients")
	other := newTestCA(t, "strangers")
	dir := t.TempDir()
	srvCrt, srvKey := ca.issue(dir, "server", "localhost", 2, false, "localhost", "127.0.0.1")
	cliCrt, cliKey := ca.issue(dir, "alice", "alice", 10, true)
	badCrt, badKey := other.issue(dir, "mallory", "mallory", 11, true)
	app := filepath.Join(dir, "app.py")
	os.WriteFile(app, []byte("def application(env, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'ok']\n"), 0o600)

	for _, required := range []bool{true, false} {
		caField := ca.File
		if required {
			caField = "!" + ca.File
		}
		ours := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := start(t, bins.testapp, nil, "--https-socket", ours+","+srvCrt+","+srvKey+",,"+caField)
		waitDial(t, "tcp", ours, p)
		theirs := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		u := start(t, uw, nil, "--plugin", "python3", "--https-socket", theirs+","+srvCrt+","+srvKey+",,"+caField, "--wsgi-file", app)
		waitDial(t, "tcp", theirs, u)

		for _, c := range []struct {
			name string
			args []string
			ok   bool
		}{
			{"no certificate", nil, !required},
			{"alice", []string{"--cert", cliCrt, "--key", cliKey}, true},
			{"a stranger's certificate", []string{"--cert", badCrt, "--key", badKey}, false},
		} {
			var got [2]bool
			for i, addr := range []string{ours, theirs} {
				url := "https://localhost:" + addr[strings.LastIndexByte(addr, ':')+1:] + "/tls"
				out, err := curl(t, true, append([]string{"--cacert", ca.File, "-o", "-", "-w", "\n%{http_code}"}, append(c.args, url)...)...)
				got[i] = err == nil && strings.HasSuffix(out, "\n200")
				if i == 0 && got[0] && c.name == "alice" && !strings.Contains(out, `"client":"alice"`) {
					t.Fatalf("r.TLS did not show alice's certificate: %s", out)
				}
			}
			if got[0] != c.ok || got[1] != got[0] {
				t.Fatalf("required=%v, %s: uwsgo served=%v, uWSGI served=%v, want %v", required, c.name, got[0], got[1], c.ok)
			}
		}
		out, _ := curl(t, false, "--cacert", ca.File, "--cert", cliCrt, "--key", cliKey, "https://localhost:"+ours[strings.LastIndexByte(ours, ':')+1:]+"/vars")
		var v struct{ Vars map[string]string }
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err, out)
		}
		if v.Vars["HTTPS_DN"] != "/C=IT/O=uwsgo tests/CN=alice" || len(v.Vars["HTTPS_CLIENT_CERTIFICATE"]) < 100 {
			t.Fatalf("HTTPS_DN=%q, HTTPS_CLIENT_CERTIFICATE of %d bytes", v.Vars["HTTPS_DN"], len(v.Vars["HTTPS_CLIENT_CERTIFICATE"]))
		}
	}
}

// TestHTTPSFastHandlerSeesTLS: a fasthttp handler (uwsgi.RunFast) on an
// HTTPS socket gets RequestCtx.TLSConnectionState.
func TestHTTPSFastHandlerSeesTLS(t *testing.T) {
	ca := newTestCA(t, "fast")
	_, addr := httpsServer(t, ca, "", []string{"TESTAPP_FAST=1"})
	out, _ := curl(t, false, "--cacert", ca.File, "https://localhost:"+addr[strings.LastIndexByte(addr, ':')+1:]+"/tls")
	if !strings.Contains(out, `"tls":true`) || !strings.Contains(out, `"version":"TLS 1.3"`) {
		t.Fatalf("fasthttp handler over HTTPS: %s", out)
	}
}

// TestSoakTestssl (make soak; about 4 minutes): testssl.sh against an
// --https-socket with default settings finds no protocol, cipher or
// vulnerability rated HIGH or CRITICAL. Findings about the test's own
// certificate (a private CA, a one-day lifetime, no OCSP) are not the
// server's and are left out.
func TestSoakTestssl(t *testing.T) {
	if os.Getenv("UWSGO_SOAK") != "1" {
		t.Skip("a slow tier: make soak")
	}
	requirePeer(t, "testssl")
	ca := newTestCA(t, "testssl")
	_, addr := httpsServer(t, ca, "", nil, "--goroutines", "8", "--disable-logging")
	out := filepath.Join(t.TempDir(), "testssl.json")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "testssl", "--quiet", "--color", "0", "--warnings", "off", "--add-ca", ca.File,
		"--jsonfile", out, "localhost:"+addr[strings.LastIndexByte(addr, ':')+1:])
	cmd.Env = append(os.Environ(), "TERM=dumb")
	log, _ := cmd.CombinedOutput()
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("testssl wrote no report: %v\n%s", err, log)
	}
	var findings []struct{ ID, Severity, Finding string }
	if err := json.Unmarshal(raw, &findings); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var minor []string
	for _, f := range findings {
		counts[f.Severity]++
		if strings.HasPrefix(f.ID, "cert") || f.ID == "DNS_CAArecord" {
			continue
		}
		if f.Severity == "LOW" || f.Severity == "MEDIUM" {
			minor = append(minor, f.Severity+" "+f.ID+": "+f.Finding)
		}
		if f.Severity == "HIGH" || f.Severity == "CRITICAL" {
			t.Errorf("testssl: %s %s: %s", f.Severity, f.ID, f.Finding)
		}
	}
	t.Logf("testssl findings by severity: %v; low and medium ones about the server:\n%s", counts, strings.Join(minor, "\n"))
	if len(findings) < 50 {
		t.Fatalf("testssl reported only %d findings: did it run?\n%s", len(findings), log)
	}
}

// TestHTTPSRouterOption: uWSGI's --https ADDR,CERT,KEY (its HTTPS router)
// is one more HTTPS socket of the workers, beside an --https-socket.
func TestHTTPSRouterOption(t *testing.T) {
	ca := newTestCA(t, "router")
	dir := t.TempDir()
	crt, key := ca.issue(dir, "server", "localhost", 2, false, "localhost", "127.0.0.1")
	a, b := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--https", a+","+crt+","+key, "--https-socket", b+","+crt+","+key, "--master")
	waitDial(t, "tcp", a, p)
	waitDial(t, "tcp", b, p)
	for _, addr := range []string{a, b} {
		if out, _ := curl(t, false, "--cacert", ca.File, "https://localhost:"+addr[strings.LastIndexByte(addr, ':')+1:]+"/view/"); out != "<h1>Hello World</h1>" {
			t.Fatalf("%s: %q", addr, out)
		}
	}
}

// TestHTTPSCipherList: the CIPHERS field restricts the TLS 1.2 suites to
// the OpenSSL names Go implements (openssl s_client -cipher: the listed
// suite is served, another one refused); the entries Go cannot honour
// are named in one warning, from the master, not once per worker.
func TestHTTPSCipherList(t *testing.T) {
	ca := newTestCA(t, "ciphers")
	p, addr := httpsServer(t, ca, ",HIGH:!aNULL:ECDHE-ECDSA-AES128-GCM-SHA256", nil, "--master", "--processes", "2")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	if out, ok := sClient(t, addr, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"); !ok || !strings.Contains(out, "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256") {
		t.Fatalf("the listed suite was not served:\n%s", out)
	}
	if out, ok := sClient(t, addr, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"); ok || !strings.Contains(out, "Cipher is (NONE)") {
		t.Fatalf("a suite not in the list was served:\n%s", out)
	}
	if out, ok := sClient(t, addr, "-tls1_3"); !ok || !strings.Contains(out, "TLSv1.3") {
		t.Fatalf("TLS 1.3 (Go's suites, always on) failed:\n%s", out)
	}
	const warn = "cipher list entries Go cannot honour are ignored (the rest is used): !aNULL:HIGH"
	if n := strings.Count(p.log.String(), warn); n != 1 {
		t.Fatalf("the cipher warning appeared %d times, want once:\n%s", n, p.log.String())
	}
}
