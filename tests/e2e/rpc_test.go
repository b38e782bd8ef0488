package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requirePython3Plugin skips (or fails in CI) without uWSGI's python3 plugin.
func requirePython3Plugin(t *testing.T, uw string) {
	t.Helper()
	if out, err := exec.Command(uw, "--plugin", "python3", "--version").CombinedOutput(); err != nil {
		if os.Getenv("UWSGO_REQUIRE_PEERS") != "" {
			t.Fatalf("uwsgi python3 plugin missing: %s", out)
		}
		t.Skip("uwsgi-plugin-python3 is not installed")
	}
}

func TestRPCBothWaysWithUWSGI(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	dir := t.TempDir()
	// Our instance: RPC functions registered in main(), served on --socket.
	p, base, ours, _ := masterServer(t, nil, "--processes", "2")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	if code, body := get(t, nil2(), base+"/rpc?name=hello&arg=x"); code != 200 || body != "hello from uwsgo x" {
		t.Fatalf("local RPC: %d %q", code, body)
	}
	if code, body := get(t, nil2(), base+"/rpc?node="+ours+"&name=big"); code != 200 || len(body) != 100000 {
		t.Fatalf("remote RPC with a 100 kB result: %d, %d bytes", code, len(body))
	}
	// uWSGI calls us: a Python app does uwsgi.rpc(node, "hello", ...).
	caller := filepath.Join(dir, "caller.py")
	os.WriteFile(caller, []byte(`import uwsgi
def application(env, start_response):
    r = uwsgi.rpc(env['QUERY_STRING'].encode(), b'hello', b'a', b'b')
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [r]
`), 0o644)
	callerAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	c := start(t, uw, nil, "--plugin", "python3", "--http-socket", callerAddr, "--wsgi-file", caller, "--master")
	waitDial(t, "tcp", callerAddr, c)
	if code, body := get(t, nil2(), "http://"+callerAddr+"/?"+ours); code != 200 || body != "hello from uwsgo a b" {
		t.Fatalf("uWSGI calling uwsgo: %d %q", code, body)
	}
	// We call uWSGI: a Python app registers pyhello.
	callee := filepath.Join(dir, "callee.py")
	os.WriteFile(callee, []byte(`import uwsgi
def pyhello(*args):
    return b'hello from python ' + b' '.join(args)
uwsgi.register_rpc('pyhello', pyhello)
def application(env, start_response):
    start_response('200 OK', [])
    return [b'']
`), 0o644)
	calleeAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	py := start(t, uw, nil, "--plugin", "python3,rpc", "--socket", calleeAddr, "--wsgi-file", callee, "--master")
	waitDial(t, "tcp", calleeAddr, py)
	if code, body := get(t, nil2(), base+"/rpc?node="+calleeAddr+"&name=pyhello&arg=x&arg=y"); code != 200 || body != "hello from python x y" {
		t.Fatalf("uwsgo calling uWSGI: %d %q", code, body)
	}
	// Bad packets close the connection, log once, and change nothing.
	for _, pkt := range [][]byte{
		{173, 5, 0, 0, 9, 0, 'x', 'y', 'z'},      // item length past the packet
		{173, 6, 0, 0, 4, 0, 'n', 'o', 'p', 'e'}, // unknown function
	} {
		conn, err := net.Dial("tcp", ours)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(pkt)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(conn)
		conn.Close()
		if len(b) != 0 {
			t.Errorf("bad RPC packet % x got a reply % x", pkt, b)
		}
	}
	p.waitLog(`RPC function "nope" not found`, 5*time.Second)
	if code, body := get(t, nil2(), base+"/rpc?node="+ours+"&name=hello"); code != 200 || !strings.HasPrefix(body, "hello from uwsgo") {
		t.Fatalf("after bad packets: %d %q", code, body)
	}
}
