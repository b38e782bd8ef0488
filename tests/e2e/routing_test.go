package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestRoutingRules drives rule sets taken from uWSGI's docs and published
// configs, each with requests and the status, headers and body expected.
func TestRoutingRules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.css"), []byte("body{}"), 0o644)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	htpasswd := filepath.Join(dir, "htpasswd")
	os.WriteFile(htpasswd, []byte("bob:"+string(hash)+"\ncarol:{SHA}"+"W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"), 0o644) // carol:password
	_, base, _, _ := masterServer(t, nil, "--processes", "1",
		"--route-host", `^secure\. goto:force-https`,
		"--route-host", `^special\. goto:special`,
		"--route", `^/old/(.*)$ rewrite:/view/$1`,
		"--route", `^/static/ addheader:Cache-Control: max-age=3600`,
		"--route", `^/private basicauth:Secret Area,alice:wonder`,
		"--route", `^/admin basicauth:Admin,`+htpasswd,
		"--route", `^/gone break:410 Gone Away`,
		"--route", `^/whoami/(.*) addheader:X-Who: $1 via ${HTTP_HOST} q=${qs[x]}`,
		"--route-if", `regexp:${HTTP_USER_AGENT};^probe/(\d+) addheader:X-Probe: $1`,
		"--route", `^/cached cache:key=${REQUEST_URI},name=pages`,
		"--route", `^/view/stored cache:key=${REQUEST_URI},name=pages`,
		"--route", `^/view/stored cachestore:key=${REQUEST_URI},name=pages`,
		"--route", `^/rpc-hello/(.*) rpc:hello $1`,
		"--route", `^/vars addvar:ROUTED=yes`,
		"--route", `^/logo static:`+filepath.Join(dir, "app.css"),
		"--route-if", `startswith:${REQUEST_URI};/deny return:403`,
		"--route", `.* last:`,
		"--route-label", "special",
		"--route", `.* break:403 Special Forbidden`,
		"--route-label", "force-https",
		"--route-if-not", "equal:${HTTPS};on redirect-permanent:https://${HTTP_HOST}${REQUEST_URI}",
		"--static-map", "/static="+dir,
		"--cache2", "name=pages,items=10,blocksize=64", "--add-cache-item", "pages /cached=from the cache")

	type want struct {
		status int
		header map[string]string
		body   string // substring
	}
	auth := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		want       want
	}{
		{"force https", "/page?a=1", map[string]string{"Host": "secure.example"}, want{301, map[string]string{"Location": "https://secure.example/page?a=1"}, ""}},
		{"rewrite then app", "/old/x", nil, want{200, nil, "Hello World"}},
		{"addheader on static", "/static/app.css", nil, want{200, map[string]string{"Cache-Control": "max-age=3600"}, "body{}"}},
		{"basicauth missing", "/private", nil, want{401, map[string]string{"WWW-Authenticate": `Basic realm="Secret Area"`}, ""}},
		{"basicauth wrong", "/private", map[string]string{"Authorization": auth("alice", "nope")}, want{401, nil, ""}},
		{"basicauth right", "/private", map[string]string{"Authorization": auth("alice", "wonder")}, want{404, nil, ""}},
		{"htpasswd bcrypt", "/admin", map[string]string{"Authorization": auth("bob", "s3cret")}, want{404, nil, ""}},
		{"htpasswd bcrypt wrong", "/admin", map[string]string{"Authorization": auth("bob", "S3cret")}, want{401, nil, ""}},
		{"htpasswd sha1", "/admin", map[string]string{"Authorization": auth("carol", "password")}, want{404, nil, ""}},
		{"break with status", "/gone", nil, want{410, nil, "Gone Away"}},
		{"vars and groups", "/whoami/me?x=42", map[string]string{"Host": "h.example"}, want{404, map[string]string{"X-Who": "me via h.example q=42"}, ""}},
		{"route-if regexp group", "/view/", map[string]string{"User-Agent": "probe/7"}, want{200, map[string]string{"X-Probe": "7"}, ""}},
		{"cache action", "/cached", nil, want{200, nil, "from the cache"}},
		{"static action", "/logo", nil, want{200, nil, "body{}"}},
		{"rpc action", "/rpc-hello/world", nil, want{200, nil, "hello from uwsgo world"}},
		{"cachestore then app", "/view/stored", nil, want{200, nil, "Hello World"}},
		{"return", "/deny/x", nil, want{403, nil, "Forbidden"}},
		{"label and goto", "/view/", map[string]string{"Host": "special.example"}, want{403, nil, "Special Forbidden"}},
		{"no rule matches", "/view/", nil, want{200, nil, "Hello World"}},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		for k, v := range tc.hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var body strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want.status || !strings.Contains(body.String(), tc.want.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, body.String(), tc.want.status, tc.want.body)
		}
		for k, v := range tc.want.header {
			if resp.Header.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, resp.Header.Get(k), v)
			}
		}
	}
	// cachestore kept the app's answer: the cache has it now.
	if code, _, val := cacheGet(t, base, "pages", "/view/stored"); code != 200 || !strings.Contains(val, "Hello World") {
		t.Errorf("cachestore: %d %q", code, val)
	}
	// addvar reaches uwsgi.Vars in the app.
	_, body := get(t, nil2(), base+"/vars")
	var v struct{ Vars map[string]string }
	json.Unmarshal([]byte(body), &v)
	if v.Vars["ROUTED"] != "yes" {
		t.Errorf("addvar: %s", body)
	}
}

func TestRoutingBadRules(t *testing.T) {
	for _, tc := range []struct{ args []string }{
		{[]string{"--route", "([ log:x"}},
		{[]string{"--route", "^/ teleport:/mars"}},
		{[]string{"--route", "^/ goto:nowhere"}},
		{[]string{"--route-if", "smells:x log:y"}},
	} {
		args := append([]string{"--http-socket", fmt.Sprintf("127.0.0.1:%d", freePort(t))}, tc.args...)
		code, out := run(t, bins.testapp, nil, args...)
		if code != 1 || !strings.Contains(out, tc.args[1]) {
			t.Errorf("%v: exit %d, want 1 and the rule named:\n%s", tc.args, code, out)
		}
	}
}

// TestResponseErrorFinalChains: the response chain adds a header to every
// answer, the error chain replaces 404 pages, the final chain logs.
func TestResponseErrorFinalChains(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "1",
		"--response-route", `^/view/ addheader:X-Chain: response`,
		"--error-route-if", `equal:${PATH_INFO};/missing break:404 Custom Not Found`,
		"--final-route", `^/view/final log:final chain saw ${REQUEST_URI}`)
	resp, b := doReq(t, "GET", base+"/view/final", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Chain") != "response" || !strings.Contains(string(b), "Hello") {
		t.Errorf("response chain: %d %v %q", resp.StatusCode, resp.Header, b)
	}
	resp, b = doReq(t, "GET", base+"/missing", nil)
	if resp.StatusCode != 404 || string(b) != "Custom Not Found" {
		t.Errorf("error chain: %d %q", resp.StatusCode, b)
	}
	p.waitLog("final chain saw /view/final", 5*time.Second)
}
