package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const xmlTwoStanzas = `<?xml version="1.0"?>
<!-- two instances in one file -->
<root>
<uwsgi id="one">
  <socket>127.0.0.1:1</socket>
</uwsgi>
<uwsgi id="two">
  <socket>127.0.0.1:2</socket>
  <master/>
  <vacuum></vacuum>
  <env>A=1</env>
  <env>B=&amp;2</env>
  <processes id="other">7</processes>
  <processes id="two">3</processes>
  <app mountpoint="/x">app.py</app>
  <project>demo</project>
  <pidfile>/tmp/%(project).pid</pidfile>
</uwsgi>
</root>
`

func TestXMLMatchesUwsgi(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "two.xml")
	os.WriteFile(p, []byte(xmlTwoStanzas), 0o644)
	single := filepath.Join(dir, "single.xml")
	os.WriteFile(single, []byte("<uwsgi id=\"ignored\">\n<http-socket>127.0.0.1:9</http-socket>\n<workers>2</workers>\n<ini>"+
		filepath.Join(dir, "more.ini")+"</ini>\n</uwsgi>\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "more.ini"), []byte("[uwsgi]\nlisten = 10\n"), 0o644)
	for _, args := range [][]string{{"--xml", p + ":two"}, {"--xml", p}, {"-x", p + ":one"}, {single}, {"--xml", single + ":any"}} {
		sameAsUwsgi(t, dir, nil, args...)
	}
	c := load(t, "--xml", p+":two")
	if got := strings.Join(c.Strings("env"), ","); got != "A=1,B=&2" || !c.Bool("master") || !c.Bool("vacuum") ||
		c.Int("processes") != 3 || c.String("pidfile") != "/tmp/demo.pid" || c.Strings("socket")[0] != "127.0.0.1:2" {
		t.Errorf("two:\n%s", c.Dump())
	}
	if src := c.Source("processes"); src.File != p || src.Line != 14 {
		t.Errorf("processes from %s, want %s:14", src, p)
	}
	if c := load(t, "--xml", p); c.Strings("socket")[0] != "127.0.0.1:1" {
		t.Errorf("no id: the first <uwsgi> is used, got %q", c.Strings("socket"))
	}
	if c := load(t, single); c.Int("processes") != 2 || c.Int("listen") != 10 {
		t.Errorf("bare .xml argument:\n%s", c.Dump())
	}
}

func TestXMLErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"<uwsgi>\n<socket>:1</socket>\n<master>\n</uwsgi>\n", ".xml:4: could not parse file"},
		{"<root>\n<other/>\n</root>\n", "invalid xml root element, <uwsgi> expected"},
		{"", "no root element"},
		{"<uwsgi>\n  <socket><a>1</a></socket>\n</uwsgi>", ".xml:2: <socket> holds an element"},
		{"<uwsgi><socket>:1</socket></uwsgi><x", "could not parse file"},
	} {
		p := writeFile(t, "bad.xml", tc.text)
		_, err := Load([]string{"--xml", p}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.text, err, tc.want)
		}
	}
}
