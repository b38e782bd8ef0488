package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzLoadINI(f *testing.F) {
	real, _ := filepath.Glob("testdata/real/*.ini")
	for _, p := range append([]string{"testdata/golden/deploy.ini"}, real...) {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("[uwsgi]\nfor = a b\nif-env = X\nendif =\n%(%(x))\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		p := filepath.Join(dir, "f.ini")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Skip()
		}
		_, _ = LoadWith([]string{p}, nil, LoadOptions{AllowNotYet: true})
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
		p := &parser{cfg: &Config{placeholders: map[string]value{"a": {raw: "1"}}, phUsed: map[string]bool{}}, env: map[string]string{}}
		_ = p.expand(s)
	})
}
