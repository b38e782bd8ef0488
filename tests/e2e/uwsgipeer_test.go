package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"
)

func TestUwsgiPing(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", addr)
	waitDial(t, "tcp", addr, p)
	if code, out := run(t, uw, nil, "--plugin", "ping", "--ping", addr); code != 0 {
		t.Fatalf("uwsgi --ping %s: exit %d\n%s", addr, code, out)
	}
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if code, _ := run(t, uw, nil, "--plugin", "ping", "--ping", dead); code == 0 {
		t.Fatal("uwsgi --ping of a dead port exited 0")
	}
}

func TestUwsgiHTTPRouter(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	backend := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", backend, "--goroutines", "8")
	waitDial(t, "tcp", backend, p)
	front := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := start(t, uw, nil, "--plugin", "http", "--master", "--http", front, "--http-to", backend)
	waitDial(t, "tcp", front, r)
	checkRouted(t, func(method, path string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(method, "http://"+front+path, bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s via the uWSGI HTTP router: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	})
}

func TestUwsgiFastrouter(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	backend := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", backend, "--goroutines", "8")
	waitDial(t, "tcp", backend, p)
	front := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := start(t, uw, nil, "--plugin", "fastrouter", "--master", "--fastrouter", front, "--fastrouter-to", backend)
	waitDial(t, "tcp", front, r)
	checkRouted(t, func(method, path string, body []byte) (int, []byte) {
		vars := getVars(path)
		vars["REQUEST_METHOD"] = method
		if len(body) > 0 {
			vars["CONTENT_LENGTH"] = fmt.Sprint(len(body))
		}
		resp, b, err := uwsgiRequest("tcp", front, vars, body)
		if err != nil {
			t.Fatalf("%s %s via the fastrouter: %v", method, path, err)
		}
		return resp.StatusCode, b
	})
}

// checkRouted sends a GET and a 1 MiB POST through a router.
func checkRouted(t *testing.T, do func(method, path string, body []byte) (int, []byte)) {
	t.Helper()
	if code, b := do("GET", "/view/", nil); code != 200 || string(b) != "<h1>Hello World</h1>" {
		t.Fatalf("GET through the router: %d %q", code, b)
	}
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	sum := sha256.Sum256(payload)
	code, b := do("POST", "/sum", payload)
	if want := fmt.Sprintf("%d %s", len(payload), hex.EncodeToString(sum[:])); code != 200 || string(b) != want {
		t.Fatalf("1 MiB POST through the router: %d %q, want %q", code, b, want)
	}
}
