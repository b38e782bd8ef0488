package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusSeeds are the published configs of the differential corpus
// (tests/corpus/data, present when the third-party files were fetched; see
// tests/e2e/corpus_test.go) and the committed ones, of the given extensions.
func corpusSeeds(exts ...string) []string {
	var out []string
	for _, dir := range []string{"testdata/real", "testdata/golden", "../../tests/corpus/data"} {
		for _, ext := range exts {
			m, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
			for _, p := range m {
				if b, err := os.ReadFile(p); err == nil {
					out = append(out, string(b))
				}
			}
		}
	}
	return out
}

// fuzzFile loads text as a config file of the given extension: it may fail,
// never panic or hang.
func fuzzFile(f *testing.F, ext string, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "exec://") || strings.Contains(text, "fd://") {
			t.Skip() // commands and descriptors are not the parser's input
		}
		p := filepath.Join(dir, "f"+ext)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Skip()
		}
		_, _ = LoadWith([]string{p}, nil, LoadOptions{AllowNotYet: true})
	})
}

func FuzzLoadINI(f *testing.F) {
	fuzzFile(f, ".ini", append(corpusSeeds(".ini"), "[uwsgi]\nfor = a b\nif-env = X\nendif =\n%(%(x))\n",
		"[uwsgi]\nfor-glob = /nonexistent/*\nx = %(_)\nend-for =\nn = %((%k * 2) + 1)\ny = @(/nonexistent)\n"))
}

// The XML, YAML and JSON fuzzers call their parser directly (no file, no
// logic): the loaders around them are the INI fuzzer's.
func fuzzParser(f *testing.F, seeds []string, parse func(text string) error) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { _ = parse(text) })
}

func FuzzLoadXML(f *testing.F) {
	fuzzParser(f, append(corpusSeeds(".xml"), "<uwsgi><socket>:1</socket><master/></uwsgi>",
		"<r><uwsgi id=\"a\"><x id=\"b\">1</x><![CDATA[e]]></uwsgi></r>"), func(text string) error {
		_, err := parseXML(text, "f.xml", "a")
		return err
	})
}

func FuzzLoadYAML(f *testing.F) {
	fuzzParser(f, append(corpusSeeds(".yaml", ".yml"), "uwsgi:\n  socket: :1\n  env:\n    - A=1\n"), func(text string) error {
		_, err := parseYAML(text, "f.yaml", "uwsgi")
		return err
	})
}

func FuzzLoadJSON(f *testing.F) {
	fuzzParser(f, append(corpusSeeds(".json"), `{"uwsgi": {"socket": [":1", ":2"], "master": true}}`), func(text string) error {
		_, err := parseJSON(text, "f.json", "uwsgi")
		return err
	})
}

func FuzzCLI(f *testing.F) {
	f.Add("--socket :1 -M --processes=2 -L")
	f.Add("-sx -p")
	f.Fuzz(func(t *testing.T, line string) {
		_, _ = Load(strings.Fields(line), nil)
	})
}

func FuzzPlaceholders(f *testing.F) {
	f.Add("%(a b + 1)")
	f.Add("$(HOME)%(%(x)")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "exec://") {
			t.Skip()
		}
		p := &parser{cfg: &Config{placeholders: map[string]value{"a": {raw: "1"}}, phUsed: map[string]bool{}}, env: map[string]string{}}
		_ = p.expand(s)
	})
}
