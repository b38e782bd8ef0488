package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The Expires and gzip-sibling rules, under uwsgo and real uWSGI with the
// same options: the same files get the same headers.
func TestStaticExpiresMatchesUwsgi(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	root, dir, _ := staticTree(t)
	static := filepath.Join(root, "static")
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(static, "app.css"), mtime, mtime)
	os.WriteFile(filepath.Join(static, "font.woff2"), []byte("font"), 0o644)
	os.Chtimes(filepath.Join(static, "font.woff2"), mtime, mtime)
	args := []string{"--static-map", "/static=" + static,
		"--static-expires-mtime", `\.css$ 100`, "--static-expires", `\.woff2$ 200`,
		"--static-expires-path-info", `^/static/page 50`, "--static-expires-uri-mtime", `big\.bin 300`,
		"--static-gzip-suffix", ".html", "--static-gzip-prefix", static + "/sub"}
	_, base, _, _ := masterServer(t, nil, append([]string{"--processes", "1"}, args...)...)
	app := filepath.Join(dir, "app.py")
	os.WriteFile(app, []byte("def application(e, s):\n    s('200 OK', [('Content-Type', 'text/plain')])\n    return [b'app']\n"), 0o644)
	uaddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	up := start(t, uw, nil, append([]string{"--plugin", "python3", "--http-socket", uaddr, "--wsgi-file", app}, args...)...)
	waitDial(t, "tcp", uaddr, up)
	gz := map[string]string{"Accept-Encoding": "gzip"}
	for _, tc := range []struct {
		path string
		hdr  map[string]string
		secs int  // Expires - now; 0: none
		mt   bool // Expires is mtime + secs
	}{
		{"/static/app.css", nil, 100, true},
		{"/static/font.woff2", nil, 200, false},
		{"/static/page.html", gz, 50, false},
		{"/static/page.html", nil, 50, false},
		{"/static/big.bin", nil, 300, true},
		{"/static/sub/index.html", gz, 0, false},
	} {
		before := time.Now().Truncate(time.Second)
		ours, ob := doReq(t, "GET", base+tc.path, tc.hdr)
		theirs, tb := doReq(t, "GET", "http://"+uaddr+tc.path, tc.hdr)
		after := time.Now()
		if ours.StatusCode != theirs.StatusCode || string(ob) != string(tb) ||
			ours.Header.Get("Content-Encoding") != theirs.Header.Get("Content-Encoding") {
			t.Errorf("%s: uwsgo %d %q %v, uWSGI %d %q %v", tc.path, ours.StatusCode, ob, ours.Header, theirs.StatusCode, tb, theirs.Header)
		}
		for who, r := range map[string]*http.Response{"uwsgo": ours, "uWSGI": theirs} {
			exp := r.Header.Values("Expires")
			if tc.secs == 0 {
				if len(exp) != 0 {
					t.Errorf("%s: %s sent Expires %q", tc.path, who, exp)
				}
				continue
			}
			if len(exp) != 1 {
				t.Errorf("%s: %s sent Expires %q, want one", tc.path, who, exp)
				continue
			}
			at, err := http.ParseTime(exp[0])
			lm, _ := http.ParseTime(r.Header.Get("Last-Modified"))
			switch {
			case err != nil:
				t.Errorf("%s: %s Expires %q: %v", tc.path, who, exp[0], err)
			case tc.mt && !at.Equal(lm.Add(time.Duration(tc.secs)*time.Second)):
				t.Errorf("%s: %s Expires %v, want Last-Modified %v + %d s", tc.path, who, at, lm, tc.secs)
			case !tc.mt && (at.Before(before.Add(time.Duration(tc.secs)*time.Second)) || at.After(after.Add(time.Duration(tc.secs+1)*time.Second))):
				t.Errorf("%s: %s Expires %v, want the request time + %d s", tc.path, who, at, tc.secs)
			}
		}
	}
	// A regexp rule written with '=' is refused by both.
	code, out := run(t, bins.testapp, nil, "--http-socket", "127.0.0.1:0", "--static-map", "/s="+static, "--static-expires", `\.css$=100`)
	if code != 1 || !strings.Contains(out, "want REGEXP SECONDS") {
		t.Errorf("uwsgo with REGEXP=SECONDS: exit %d %q", code, out)
	}
	code, out = run(t, uw, nil, "--http-socket", "127.0.0.1:0", "--static-map", "/s="+static, "--static-expires", `\.css$=100`)
	if code != 1 || !strings.Contains(out, "invalid dictionary syntax") {
		t.Errorf("uWSGI with REGEXP=SECONDS: exit %d %q", code, out)
	}
}
