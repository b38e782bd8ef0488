package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each config below is read by uwsgo and by real uWSGI (--show-config):
// they must read the same options, values and order.
func TestLogicMatchesUwsgi(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "n.txt"), []byte("77\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "lines.txt"), []byte("A=1\nB=two words\r\n\nC=3"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "x.conf"), []byte(""), 0o644)
	os.WriteFile(filepath.Join(dir, "inc.ini"), []byte("[uwsgi]\nfrom-inc = %n.%e in %c\n[other]\nnot = read\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "inc.json"), []byte(`{"uwsgi": {"j": "%s", "workers": 3}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "inc.yaml"), []byte("uwsgi:\n  y: %n\n"), 0o644)
	host, _ := os.Hostname()
	cases := map[string]string{
		"placeholders": "base = /srv\nworkers = 4\nn = %(workers + 3)\nm = %(workers * workers)\nd = %(workers / 0)\ncat = %(base)/%(workers)\nenv = HOME_IS=$(HOME)\nnested = %(cat)x\n",
		"at-file":      "foo = @(n.txt)\nbar = x@(n.txt)y\nbaz = %(foo)\nsh = @(exec://echo hi there)\nchdir2 = /x@(n.txt)\n",
		"for":          "for = a b  c\nk1 = 1%(_)\nk2 = 2%(_)\nendfor =\nfor-times = 3\nt = %(_)\nend-for =\n",
		"for-glob":     "for-glob = " + dir + "/*\ng = %(_)\nend-for =\nfor-glob = /nonexistent/*.zz\ng2 = %(_)\nend =\n",
		"for-readline": "for-readline = lines.txt\nenv = %(_)\nendfor =\n",
		"if-env":       "if-env = HOME\ne = %(_)\nendif =\nif-not-env = NOPE_NOT_SET_X\ne2 = set\nend-if =\nif-env = NOPE_NOT_SET_X\nnever = 1\nendif =\n",
		"if-files":     "if-exists = n.txt\na = %(_)\nendif =\nif-file = sub\nb = 1\nendif =\nif-dir = sub\nc = %(_)\nendif =\nif-directory = sub\nc2 = 1\nendif =\nif-not-file = sub\nd = %(_)\nendif =\nif-not-exists = nope\ne = 1\nendif =\nif-not-dir = n.txt\nf = 1\nendif =\n",
		"if-opt":       "base = /tmp\nif-opt = base\no = %(_)\nendif =\nif-opt = base=/tmp\no2 = 1\nendif =\nif-opt = base=/x\no3 = 1\nendif =\nif-not-opt = missing\no4 = 1\nendif =\n",
		"if-literal":   "base = /tmp\nif-exists = %(base)\nlit = 1\nendif =\n",
		"if-hostname":  "if-hostname = " + host + "\nh = %(_)\nendif =\nif-not-hostname = not-" + host + "\nh2 = 1\nendif =\nif-hostname-match = ^" + host[:1] + "\nh3 = 1\nendif =\n",
		"if-reload":    "if-reload =\nr = 1\nendif =\nif-not-reload =\nr2 = 1\nendif =\n",
		"magic":        "m = %d|%n|%s|%e|%c|%x|%0|%1|%%|%k|%u|%g|%U|%h\n",
		"includes":     "ini = inc.ini\njson = inc.json\nyaml = inc.yaml\ninclude = inc.ini\nafter = 1\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".ini")
			os.WriteFile(p, []byte("[uwsgi]\n"+body), 0o644)
			sameAsUwsgi(t, dir, nil, "--ini", name+".ini")
		})
	}
}

func TestLogicDetails(t *testing.T) {
	dir := t.TempDir()
	lines := filepath.Join(dir, "l.txt")
	os.WriteFile(lines, []byte("X=1\nY=2\n"), 0o644)
	p := writeFile(t, "a.ini", "[uwsgi]\nbase = "+dir+"\nif-exists = %(base)/l.txt\nenv = NEVER=1\nendif =\n"+
		"for-readline = "+lines+"\nenv = %(_)\nendfor =\nfor-readline = "+dir+"/missing\nenv = NO=1\nendfor =\n"+
		"socket = @(exec://echo 127.0.0.1:3031)\n")
	c := load(t, "--ini", p)
	if got := strings.Join(c.Strings("env"), ","); got != "X=1,Y=2" {
		t.Errorf("env %q", got)
	}
	if got := c.Strings("socket"); len(got) != 1 || got[0] != "127.0.0.1:3031" {
		t.Errorf("socket %q", got)
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{p + ":3: 'if-exists = %(base)/l.txt' tests the text as written", p + ":9: for-readline: open " + dir + "/missing"} {
		if strings.Count(w, want) != 1 {
			t.Errorf("warnings have not one %q:\n%s", want, w)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{"x = @(/nonexistent/file)\n", "@(/nonexistent/file): open /nonexistent/file"},
		{"x = @(sym://uwsgi_fork_hooks)\n", "embeds no config blobs"},
		{"x = @(http://example.com/c)\n", "does not fetch configuration over the network"},
		{"x = @(exec://exit 3)\n", "exec://exit 3: exit status 3"},
		{"if-hostname-match = (\nx = 1\nendif =\n", "bad regular expression"},
	} {
		_, err := Load([]string{writeFile(t, "b.ini", "[uwsgi]\n"+tc.body)}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.body, err, tc.want)
		}
	}
}

// Logic options work on the command line too, as in uWSGI.
func TestLogicOnTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	sameAsUwsgi(t, dir, nil, "--if-env", "HOME", "--env", "A=%(_)", "--endif", "--for", "x y", "--env", "B=%(_)", "--endfor",
		"--if-not-env", "NOPE_NOT_SET_X", "--env", "C=1", "--end-if")
	c := load(t, "--for", "x y", "--env", "B=%(_)", "--endfor")
	if got := strings.Join(c.Strings("env"), ","); got != "B=x,B=y" {
		t.Errorf("env %q", got)
	}
}
