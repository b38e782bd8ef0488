package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBadCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--foo"}, "uwsgi: unrecognized option '--foo'"},
		{[]string{"--http-socket", ":0", "--goroutines", "abc"}, `invalid value "abc" for option "goroutines" (command line)`},
		{[]string{"--http-socket", ":0", "--processes", "-1"}, `invalid value "-1" for option "processes"`},
		{[]string{"--master=1"}, "doesn't allow an argument"},
		{[]string{"app.conf"}, "unable to load configuration from app.conf"},
		{[]string{"--disable-logging"}, "the -s/--socket option is missing"},
		{[]string{"--http-socket", "127.0.0.1:1", "--http-socket-modifier1", "5"}, "modifier1 11 and 0 only"},
	} {
		code, out := run(t, bins.hello, nil, tc.args...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%q: exit %d, output %q; want exit 1 and %q", tc.args, code, out, tc.want)
		}
	}
	if code, out := run(t, bins.hello, nil, "--help"); code != 0 || !strings.Contains(out, "--http-socket") {
		t.Errorf("--help: exit %d %q", code, out)
	}
	if code, out := run(t, bins.hello, nil, "--version"); code != 0 || strings.TrimSpace(out) == "" {
		t.Errorf("--version: exit %d %q", code, out)
	}
}

func TestRealishConfigLoadsServesAndWarns(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	ini := filepath.Join(dir, "deploy.ini")
	text := "[uwsgi]\n# a Django-style file with a custom key, a typo and Python-only options\nproject-root = " + dir +
		"\nhttp-socket = 127.0.0.1:" + strconv.Itoa(port) + "\nsocket = %(project-root)/app.sock\nvaccum = true\nmodule = mysite.wsgi:application\n" +
		"virtualenv = /srv/venv\nenable-threads = true\nplugins = python3\nmaster = true\nprocesses = 2\nendif =\n"
	if err := os.WriteFile(ini, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, bins.testapp, nil, "--ini", ini)
	waitDial(t, "tcp", "127.0.0.1:"+strconv.Itoa(port), p)
	if code, body := get(t, &http.Client{}, "http://127.0.0.1:"+strconv.Itoa(port)+"/view/"); code != 200 || body != "<h1>Hello World</h1>" {
		t.Fatalf("GET = %d %q", code, body)
	}
	if _, body, err := uwsgiGet("unix", filepath.Join(dir, "app.sock"), "/view/"); err != nil || body != "<h1>Hello World</h1>" {
		t.Fatalf("placeholder socket path not served: %q %v", body, err)
	}
	log := p.log.String()
	for _, want := range []string{ini + ":6: unknown option 'vaccum' (did you mean 'vacuum'?)", ini + ":7: option 'module' is ignored",
		ini + ":8: option 'virtualenv' is ignored", ini + ":10: option 'plugins' is ignored"} {
		if strings.Count(log, want) != 1 {
			t.Errorf("log has not exactly one %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "project-root") {
		t.Errorf("the used placeholder was warned about")
	}
	strictIni := filepath.Join(dir, "strict.ini")
	os.WriteFile(strictIni, []byte(text+"strict = true\n"), 0o644)
	code, out := run(t, bins.testapp, nil, "--ini", strictIni)
	if code != 1 || !strings.Contains(out, "[strict-mode] unknown config directive 'vaccum' at "+strictIni+":6") {
		t.Fatalf("strict: exit %d %q", code, out)
	}
}

// A config declaring a spooler and mules starts, with one warning that they
// are not run; one that only tunes them starts without a word about them;
// strict mode still rejects a typo with the closest option.
func TestSpoolerAndMuleOptionsStart(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	ini := filepath.Join(dir, "spool.ini")
	os.WriteFile(ini, []byte("[uwsgi]\nstrict = true\nhttp-socket = 127.0.0.1:"+strconv.Itoa(port)+"\nspooler = "+dir+
		"\nspooler-processes = 2\nspooler-harakiri = 60\nmule = worker.py\nmules = 2\nmule-harakiri = 30\n"), 0o644)
	p := start(t, bins.testapp, nil, "--ini", ini)
	waitDial(t, "tcp", "127.0.0.1:"+strconv.Itoa(port), p)
	if code, _ := get(t, &http.Client{}, "http://127.0.0.1:"+strconv.Itoa(port)+"/view/"); code != 200 {
		t.Fatalf("GET = %d", code)
	}
	p.waitLog("GET /view/", 10*time.Second) // the request line comes after every start-up line
	log := p.log.String()
	if n := strings.Count(log, "the spooler and mules are not implemented"); n != 1 {
		t.Errorf("%d warnings about the spooler and mules, want 1:\n%s", n, log)
	}
	for _, quiet := range []string{"spooler-harakiri", "spooler-processes", "mule-harakiri"} {
		if strings.Contains(log, quiet) {
			t.Errorf("a tuning option was warned about: %s\n%s", quiet, log)
		}
	}
	tune := filepath.Join(dir, "tune.ini")
	os.WriteFile(tune, []byte("[uwsgi]\nstrict = true\nhttp-socket = 127.0.0.1:"+strconv.Itoa(freePort(t))+"\nspooler-harakiri = 60\nspooler-frequency = 5\n"), 0o644)
	q := start(t, bins.testapp, nil, "--ini", tune)
	q.waitLog("spawned uWSGI", 15*time.Second)
	if strings.Contains(q.log.String(), "spooler") {
		t.Errorf("a config that only tunes the spooler was warned about it:\n%s", q.log.String())
	}
	typo := filepath.Join(dir, "typo.ini")
	os.WriteFile(typo, []byte("[uwsgi]\nstrict = true\nhttp-socket = 127.0.0.1:1\nspooler-harakri = 60\n"), 0o644)
	if code, out := run(t, bins.testapp, nil, "--ini", typo); code != 1 || !strings.Contains(out, "unknown config directive 'spooler-harakri' at "+typo+":4 (did you mean 'spooler-harakiri'?)") {
		t.Errorf("typo under strict: exit %d %q", code, out)
	}
}
