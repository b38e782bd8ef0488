package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var subjectCN = regexp.MustCompile(`subject=.*CN ?= ?([^,\n/]+)`)

// servedCN is the CN of the certificate a handshake naming sni got ("" for
// no SNI extension), and whether the handshake succeeded.
func servedCN(t *testing.T, addr, sni string, extra ...string) (string, bool) {
	t.Helper()
	args := append([]string{"-verify_return_error"}, extra...)
	if sni != "" {
		args = append(args, "-servername", sni)
	} else {
		args = append(args, "-noservername")
	}
	out, ok := sClient(t, addr, args...)
	m := subjectCN.FindStringSubmatch(out)
	if m == nil {
		return "", false
	}
	return m[1], ok
}

// TestSNI: --sni names, --sni-regexp patterns and --sni-dir files pick the
// certificate of a handshake by its server name (openssl s_client
// -servername); other names, and none, get the socket's own. An SNI
// context's CLIENT_CA ("!") applies to its name only. uWSGI, given the
// same options and files, serves the same certificates.
func TestSNI(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	ca := newTestCA(t, "sni")
	dir, sniDir := t.TempDir(), t.TempDir()
	defCrt, defKey := ca.issue(dir, "default", "default.test", 2, false, "default.test")
	aCrt, aKey := ca.issue(dir, "a", "a.test", 3, false, "a.test")
	bCrt, bKey := ca.issue(dir, "b", "b7.test", 4, false, "b7.test")
	ca.issue(sniDir, "c.test", "c.test", 5, false, "c.test")
	lCrt, lKey := ca.issue(dir, "locked", "locked.test", 6, false, "locked.test")
	app := filepath.Join(dir, "app.py")
	os.WriteFile(app, []byte("def application(env, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"), 0o600)
	opts := func(addr string) []string {
		return []string{"--https-socket", addr + "," + defCrt + "," + defKey,
			"--sni", "a.test " + aCrt + "," + aKey,
			"--sni", "locked.test " + lCrt + "," + lKey + ",,!" + ca.File,
			"--sni-regexp", `^b[0-9]+\.test$ ` + bCrt + "," + bKey,
			"--sni-dir", sniDir}
	}
	ours := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, opts(ours)...)
	waitDial(t, "tcp", ours, p)
	theirs := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	u := start(t, uw, nil, append(opts(theirs), "--plugin", "python3", "--wsgi-file", app)...)
	waitDial(t, "tcp", theirs, u)
	// uWSGI 2.0 fails the handshake that makes an --sni-dir context (the
	// client reads an EOF) and serves the name from then on: make it first.
	servedCN(t, theirs, "c.test", "-CAfile", ca.File)

	for _, c := range []struct{ sni, want string }{
		{"a.test", "a.test"}, {"b7.test", "b7.test"}, {"b.test", "default.test"},
		{"c.test", "c.test"}, {"c.test", "c.test"}, {"nope.test", "default.test"}, {"", "default.test"},
		{"A.TEST", "a.test"}, // uwsgo only: host names are case-insensitive (RFC 6066); uWSGI compares bytes
	} {
		for i, addr := range []string{ours, theirs} {
			if i == 1 && c.sni == "A.TEST" {
				continue
			}
			cn, ok := servedCN(t, addr, c.sni, "-CAfile", ca.File)
			if !ok || cn != c.want {
				t.Fatalf("%s, -servername %q: served %q (handshake ok=%v), want %q", addr, c.sni, cn, ok, c.want)
			}
		}
	}
	// locked.test requires a client certificate; the default context does
	// not. TLS 1.2: in TLS 1.3 the server's refusal comes after the client's
	// Finished, and s_client may be gone before it reads it.
	if _, ok := servedCN(t, ours, "locked.test", "-CAfile", ca.File, "-tls1_2"); ok {
		t.Fatalf("locked.test served without a client certificate")
	}
	cliCrt, cliKey := ca.issue(dir, "alice", "alice", 10, true)
	if cn, ok := servedCN(t, ours, "locked.test", "-CAfile", ca.File, "-cert", cliCrt, "-key", cliKey); !ok || cn != "locked.test" {
		t.Fatalf("locked.test with a client certificate: %q ok=%v", cn, ok)
	}
}
