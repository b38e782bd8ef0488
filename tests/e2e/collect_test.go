package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// collect-header puts a response header into a var the response chain
// tests (an X-Sendfile answered from a static file); pull-header also
// removes it. Real uWSGI with a Python app setting the same header answers
// the same bodies.
func TestCollectHeaderMatchesUwsgi(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>index</h1>"), 0o644)
	rules := []string{"--collect-header", "X-Sendfile X_SENDFILE",
		"--response-route-if", "equal:${X_SENDFILE};/index.html static:" + filepath.Join(dir, "index.html")}
	_, base, _, _ := masterServer(t, nil, append([]string{"--processes", "1"}, rules...)...)
	app := filepath.Join(dir, "app.py")
	os.WriteFile(app, []byte("from urllib.parse import parse_qs\n"+
		"def application(e, s):\n    f = parse_qs(e.get('QUERY_STRING', '')).get('f', [''])[0]\n"+
		"    s('200 OK', [('Content-Type', 'text/plain'), ('X-Sendfile', f)])\n    return [b'from the app']\n"), 0o644)
	uaddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := start(t, uw, nil, append([]string{"--plugin", "python3,router_static", "--http-socket", uaddr, "--wsgi-file", app}, rules...)...)
	waitDial(t, "tcp", uaddr, up)
	for _, q := range []string{"f=/index.html", "f=/other"} {
		_, ours := doReq(t, "GET", base+"/sendfile?"+q, nil)
		_, theirs := doReq(t, "GET", "http://"+uaddr+"/sendfile?"+q, nil)
		if string(ours) != string(theirs) {
			t.Errorf("%s: uwsgo %q, uWSGI %q", q, ours, theirs)
		}
	}
	if _, b := doReq(t, "GET", base+"/sendfile?f=/index.html", nil); string(b) != "<h1>index</h1>" {
		t.Errorf("the rule did not answer from the file: %q", b)
	}
	_, pbase, _, _ := masterServer(t, nil, "--processes", "1", "--pull-header", "X-Sendfile X_SENDFILE",
		"--response-route-if", "equal:${X_SENDFILE};/x addheader:Got: ${X_SENDFILE}")
	if r, _ := doReq(t, "GET", pbase+"/sendfile?f=/x", nil); r.Header.Get("X-Sendfile") != "" || r.Header.Get("Got") != "/x" {
		t.Errorf("pull-header: %v", r.Header)
	}
}
