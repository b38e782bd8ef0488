package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCacheWithUWSGI: a real uWSGI's Python app reads and writes our cache
// as "name@addr" (modifier1 111 on our --socket), and we read and write a
// real uWSGI's cache the same way.
func TestCacheWithUWSGI(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	dir := t.TempDir()
	p, base, ours, _ := masterServer(t, nil, "--processes", "2", "--cache2", "name=ours,items=10,blocksize=200000,bitmap=1,blocks=10")
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	if code, _ := cacheSet(t, base, "ours", "k", "set in uwsgo", "set"); code != 200 {
		t.Fatalf("local set: %d", code)
	}

	app := filepath.Join(dir, "app.py")
	os.WriteFile(app, []byte(`import uwsgi
from urllib.parse import parse_qs
def application(env, start_response):
    q = {k: v[0] for k, v in parse_qs(env['QUERY_STRING']).items()}
    op, cache = q['op'], q['cache']
    if op == 'get':
        r = uwsgi.cache_get(q['key'], cache)
    elif op == 'exists':
        r = b'yes' if uwsgi.cache_exists(q['key'], cache) else b'no'
    elif op == 'update':
        r = b'ok' if uwsgi.cache_update(q['key'], q['value'] * int(q.get('times', '1')), 0, cache) else b'failed'
    elif op == 'set':
        r = b'ok' if uwsgi.cache_set(q['key'], q['value'], 0, cache) else b'failed'
    elif op == 'del':
        r = b'ok' if uwsgi.cache_del(q['key'], cache) else b'failed'
    if r is None:
        start_response('404 Not Found', [])
        return [b'']
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [r]
`), 0o644)
	pyHTTP := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pySock := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	py := start(t, uw, nil, "--plugin", "python3,cache", "--http-socket", pyHTTP, "--socket", pySock, "--wsgi-file", app,
		"--master", "--cache2", "name=theirs,items=10,blocksize=1000", "--add-cache-item", "theirs k=set in uWSGI")
	waitDial(t, "tcp", pyHTTP, py)
	waitDial(t, "tcp", pySock, py)
	pyDo := func(q string) (int, string) {
		t.Helper()
		return get(t, oneShotClient(), "http://"+pyHTTP+"/?"+q)
	}

	// uWSGI → uwsgo.
	remote := url.QueryEscape("ours@" + ours)
	if code, body := pyDo("op=get&key=k&cache=" + remote); code != 200 || body != "set in uwsgo" {
		t.Fatalf("uWSGI reading our cache: %d %q", code, body)
	}
	if code, body := pyDo("op=get&key=missing&cache=" + remote); code != 404 {
		t.Fatalf("uWSGI reading a missing key of ours: %d %q", code, body)
	}
	if code, body := pyDo("op=update&key=big&value=0123456789&times=15000&cache=" + remote); code != 200 || body != "ok" {
		t.Fatalf("uWSGI storing 150 kB in our cache: %d %q", code, body)
	}
	if code, _, val := cacheGet(t, base, "ours", "big"); code != 200 || len(val) != 150000 || val[:10] != "0123456789" {
		t.Fatalf("reading what uWSGI stored: %d, %d bytes", code, len(val))
	}
	if code, body := pyDo("op=set&key=k&value=x&cache=" + remote); body != "failed" {
		t.Fatalf("uWSGI's set of an existing key of ours: %d %q, want failed", code, body)
	}
	if code, body := pyDo("op=exists&key=k&cache=" + remote); body != "yes" {
		t.Fatalf("exists: %d %q", code, body)
	}
	if code, body := pyDo("op=del&key=k&cache=" + remote); body != "ok" {
		t.Fatalf("del: %d %q", code, body)
	}
	if code, _, _ := cacheGet(t, base, "ours", "k"); code != 404 {
		t.Fatalf("after uWSGI deleted it: %d", code)
	}

	// uwsgo → uWSGI.
	theirs := "theirs@" + pySock
	if code, _, val := cacheGet(t, base, theirs, "k"); code != 200 || val != "set in uWSGI" {
		t.Fatalf("reading uWSGI's cache: %d %q\n%s", code, val, py.log.String())
	}
	if code, _ := cacheSet(t, base, theirs, "from-go", "stored by uwsgo", "update"); code != 200 {
		t.Fatalf("storing into uWSGI's cache: %d", code)
	}
	if code, body := pyDo("op=get&key=from-go&cache=theirs"); code != 200 || body != "stored by uwsgo" {
		t.Fatalf("uWSGI reading what we stored: %d %q", code, body)
	}
	if code, _ := cacheSet(t, base, theirs, "from-go", "again", "set"); code == 200 {
		t.Fatal("a set of an existing key in uWSGI's cache succeeded")
	}
	if code, _, _ := cacheGet(t, base, theirs, "missing"); code != 404 {
		t.Fatalf("a missing key in uWSGI's cache: %d", code)
	}
}
