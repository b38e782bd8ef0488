package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func load(t *testing.T, args ...string) *Config {
	t.Helper()
	c, err := Load(args, nil)
	if err != nil {
		t.Fatalf("Load(%q): %v", args, err)
	}
	return c
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommandLineForms(t *testing.T) {
	c := load(t, "--socket", "a:1", "--socket=b:2", "-s", "c:3", "-sd:4", "-M", "--processes=3",
		"-p", "5", "--chmod-socket", "--goroutines", "7", "-L")
	if got := strings.Join(c.Strings("socket"), ","); got != "a:1,b:2,c:3,d:4" {
		t.Errorf("sockets %q", got)
	}
	if !c.Bool("master") || c.Int("processes") != 5 || c.Int("goroutines") != 7 || !c.Bool("disable-logging") {
		t.Errorf("dump:\n%s", c.Dump())
	}
	if !c.IsSet("chmod-socket") || c.String("chmod-socket") != "" {
		t.Errorf("bare --chmod-socket = %q, set %v", c.String("chmod-socket"), c.IsSet("chmod-socket"))
	}
	c = load(t, "-ML", "--chmod-socket=660", "--workers", "2", "--uwsgi-socket", "x:1")
	if !c.Bool("master") || !c.Bool("disable-logging") || c.String("chmod-socket") != "660" || c.Int("processes") != 2 || c.Strings("socket")[0] != "x:1" {
		t.Errorf("combined short flags and aliases:\n%s", c.Dump())
	}
	if c.Int("buffer-size") != 4096 || c.Int("http-socket-modifier1") != 11 {
		t.Errorf("defaults: buffer-size %d modifier1 %d", c.Int("buffer-size"), c.Int("http-socket-modifier1"))
	}
	if c := load(t, "-b", "100000"); c.Int("buffer-size") != 65535 {
		t.Errorf("buffer-size not clamped: %d", c.Int("buffer-size"))
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, "bad.txt", "")
	strict := writeFile(t, "strict.ini", "[uwsgi]\nstrict = true\nsocket = :1\nvaccum = true\n")
	a := filepath.Join(dir, "a.ini")
	b := filepath.Join(dir, "b.ini")
	os.WriteFile(a, []byte("[uwsgi]\ninclude = "+b+"\n"), 0o644)
	os.WriteFile(b, []byte("[uwsgi]\nini = "+a+"\n"), 0o644)
	nojson := writeFile(t, "x.json", `{"other": {}}`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--foo"}, "uwsgi: unrecognized option '--foo'"},
		{[]string{"--vaccum"}, "unrecognized option '--vaccum' (did you mean 'vacuum'?)"},
		{[]string{"-q"}, "uwsgi: invalid option -- 'q'"},
		{[]string{"--master=yes"}, "uwsgi: option '--master' doesn't allow an argument"},
		{[]string{"--socket"}, "uwsgi: option '--socket' requires an argument"},
		{[]string{"--goroutines", "abc"}, `uwsgi: invalid value "abc" for option "goroutines" (command line): not a number`},
		{[]string{"--processes", "-1"}, `uwsgi: invalid value "-1" for option "processes" (command line): must be >= 0`},
		{[]string{bad}, "uwsgi: unable to load configuration from " + bad},
		{[]string{"--ini", filepath.Join(dir, "missing.ini")}, "unable to load configuration from " + filepath.Join(dir, "missing.ini")},
		{[]string{"--ini", a}, "config files include each other"},
		{[]string{strict}, "uwsgi: [strict-mode] unknown config directive 'vaccum' at " + strict + ":4 (did you mean 'vacuum'?)"},
		{[]string{"--json", nojson}, "you must define a object named uwsgi in your JSON data"},
		{[]string{"--fastrouter", ":1"}, "option '--fastrouter' (from command line) is not supported by uwsgo: uwsgo is the application server"},
	} {
		_, err := Load(tc.args, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) error = %v, want it to contain %q", tc.args, err, tc.want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	if _, err := Load([]string{"--help"}, nil); !errors.Is(err, ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	if _, err := Load([]string{"--version"}, nil); !errors.Is(err, ErrVersion) {
		t.Errorf("--version: %v", err)
	}
	var b bytes.Buffer
	WriteUsage(&b)
	if !strings.Contains(b.String(), "--http-socket") || !strings.Contains(b.String(), "-s|--socket") {
		t.Errorf("usage lacks options:\n%.500s", b.String())
	}
}

// TestGoldenFormatsAgree: the same configuration as CLI, ini, yaml, json
// and environment gives the same effective config.
func TestGoldenFormatsAgree(t *testing.T) {
	want, err := os.ReadFile("testdata/golden/deploy.dump")
	if err != nil {
		t.Fatal(err)
	}
	cli := []string{"--http-socket", "127.0.0.1:9090", "--socket", "127.0.0.1:3031", "--socket", "/tmp/app.sock",
		"--master", "--processes", "4", "--goroutines", "100", "--buffer-size", "32768", "--disable-logging",
		"--log-format", "%(method) %(uri)", "--go-args", `-v --name "my app"`}
	env := []string{"UWSGI_HTTP_SOCKET=127.0.0.1:9090", "UWSGI_MASTER=1", "UWSGI_PROCESSES=4", "UWSGI_GOROUTINES=100",
		"UWSGI_BUFFER_SIZE=32768", "UWSGI_DISABLE_LOGGING=true", "UWSGI_LOG_FORMAT=%(method) %(uri)",
		`UWSGI_GO_ARGS=-v --name "my app"`}
	for name, run := range map[string]func() (*Config, error){
		"cli":  func() (*Config, error) { return Load(cli, nil) },
		"ini":  func() (*Config, error) { return Load([]string{"--ini", "testdata/golden/deploy.ini"}, nil) },
		"bare": func() (*Config, error) { return Load([]string{"testdata/golden/deploy.ini"}, nil) },
		"yaml": func() (*Config, error) { return Load([]string{"--yaml", "testdata/golden/deploy.yaml"}, nil) },
		"json": func() (*Config, error) { return Load([]string{"--json", "testdata/golden/deploy.json"}, nil) },
		"env": func() (*Config, error) {
			return Load([]string{"--socket", "127.0.0.1:3031", "--socket", "/tmp/app.sock"}, env)
		},
	} {
		c, err := run()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := c.Dump(); got != string(want) {
			t.Errorf("%s dump:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

func TestPlaceholdersWarningsAndStrict(t *testing.T) {
	text := "[uwsgi]\nproject-root = /srv/app\nsocket = %(project-root)/app.sock\nvaccum = true\nmodule = wsgi:app\nenable-threads = true\nhttp-socket = :9090\n"
	p := writeFile(t, "deploy.ini", text)
	c := load(t, p)
	if got := c.Strings("socket"); len(got) != 1 || got[0] != "/srv/app/app.sock" {
		t.Fatalf("placeholder not expanded: %q", got)
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{
		p + ":4: unknown option 'vaccum' (did you mean 'vacuum'?)",
		p + ":5: option 'module' is ignored by uwsgo",
		p + ":6: option 'enable-threads' is ignored by uwsgo",
	} {
		if strings.Count(w, want) != 1 {
			t.Errorf("warnings lack exactly one %q:\n%s", want, w)
		}
	}
	if strings.Contains(w, "project-root") {
		t.Errorf("a used placeholder was warned about:\n%s", w)
	}
	strictP := writeFile(t, "strict.ini", text+"strict = true\n")
	if _, err := Load([]string{strictP}, nil); err == nil || !strings.Contains(err.Error(), "strict-mode") || !strings.Contains(err.Error(), strictP+":4") {
		t.Fatalf("strict mode error = %v", err)
	}
}

func TestMagicAndMath(t *testing.T) {
	p := writeFile(t, "myapp.ini", "[uwsgi]\nlogto = %d%n.log\nchdir = %c\ngoroutines = %(%k * 2)\nset-ph = base=10\nlisten = %(base + 5)\nset = http-socket=:8080\npidfile = 100%%\nenv = X=%z\n")
	c := load(t, p)
	dir := filepath.Dir(p)
	if got := c.String("logto"); got != dir+"/myapp.log" {
		t.Errorf("%%d%%n = %q", got)
	}
	if got := c.String("chdir"); got != filepath.Base(dir) {
		t.Errorf("%%c = %q", got)
	}
	if got := c.Int("goroutines"); got != 2*runtime.NumCPU() {
		t.Errorf("%%(%%k * 2) = %d", got)
	}
	if got := c.Int("listen"); got != 15 {
		t.Errorf("%%(base + 5) = %d", got)
	}
	if got := c.Strings("http-socket"); len(got) != 1 || got[0] != ":8080" {
		t.Errorf("set http-socket = %q", got)
	}
	if got := c.String("pidfile"); got != "100%" {
		t.Errorf("%%%% = %q", got)
	}
	if got := c.Strings("env"); got[0] != "X=" {
		t.Errorf("unknown magic %%z = %q", got)
	}
}

func TestEnvPlaceholderAndLogic(t *testing.T) {
	p := writeFile(t, "l.ini", "[uwsgi]\nif-env = APP_PORT\nhttp-socket = :%(_)\nendif =\nif-not-env = NOPE\nsocket = $(APP_SOCK)\nendif =\nif-env = NOPE\nsocket = never\nendif =\nfor = a b\nenv = K_%(_)=1\nendfor =\n")
	c, err := Load([]string{p}, []string{"APP_PORT=7000", "APP_SOCK=/run/app.sock"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Strings("http-socket"), ","); got != ":7000" {
		t.Errorf("if-env/%%(_): %q", got)
	}
	if got := strings.Join(c.Strings("socket"), ","); got != "/run/app.sock" {
		t.Errorf("$(ENV) and if-not-env: %q", got)
	}
	if got := strings.Join(c.Strings("env"), ","); got != "K_a=1,K_b=1" {
		t.Errorf("for: %q", got)
	}
}

func TestIntWithTrailingText(t *testing.T) {
	p := writeFile(t, "h.ini", "[uwsgi]\nlisten = 60 ; backlog\nsocket-timeout = true\n")
	c := load(t, p)
	if c.Int("listen") != 60 || c.Int("socket-timeout") != 0 {
		t.Fatalf("listen %d socket-timeout %d", c.Int("listen"), c.Int("socket-timeout"))
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, p+":2: option 'listen': ignoring \"; backlog\"") {
		t.Fatalf("no warning for the ignored text:\n%s", w)
	}
}

func TestINISections(t *testing.T) {
	p := writeFile(t, "s.ini", "[uwsgi]\nsocket = :1\nini = :extra\n[extra]\nsocket = :2\n[other]\nsocket = :3\n")
	if got := strings.Join(load(t, p).Strings("socket"), ","); got != ":1,:2" {
		t.Errorf("ini = :extra: %q", got)
	}
	if got := strings.Join(load(t, p+":other").Strings("socket"), ","); got != ":3" {
		t.Errorf("file:section: %q", got)
	}
	c := load(t, p+":missing")
	if !strings.Contains(strings.Join(c.Warnings(), "\n"), `Can't find section "missing"`) {
		t.Errorf("missing section not warned: %q", c.Warnings())
	}
}

func TestRealConfigsLoad(t *testing.T) {
	files, _ := filepath.Glob("testdata/real/*.ini")
	if len(files) < 3 {
		t.Fatalf("only %d real configs", len(files))
	}
	for _, f := range files {
		c, err := LoadWith([]string{"--ini", f}, nil, LoadOptions{AllowNotYet: true})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(c.Strings("socket"))+len(c.Strings("http-socket"))+len(c.Strings("http")) == 0 {
			t.Errorf("%s: no socket:\n%s", f, c.Dump())
		}
		for _, w := range c.Warnings() {
			if strings.Contains(w, "unknown option") {
				t.Errorf("%s: %s", f, w)
			}
		}
	}
}

func TestOptionsDocIsUpToDate(t *testing.T) {
	var b bytes.Buffer
	WriteMarkdown(&b)
	have, err := os.ReadFile("../../docs/options.md")
	if err != nil || !bytes.Equal(have, b.Bytes()) {
		t.Fatal("docs/options.md is out of date with the option table: run `make docs`")
	}
}

func TestAccessorPanicsOnUnknownName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Int of an unknown option did not panic")
		}
	}()
	load(t).Int("no-such-option")
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"vaccum", "vacuum", 1}, {"socket", "socket", 0}, {"proceses", "processes", 1}, {"abc", "", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	_ = strconv.Itoa
}
