package config

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// uwsgiShowConfig runs real uWSGI on args with --show-config and returns the
// configuration it read, one "key = value" per line, in order. The logic
// keys (for, if-*, endif...) and the options this helper adds are left
// out. It skips when uWSGI is missing, unless UWSGO_REQUIRE_PEERS is set.
func uwsgiShowConfig(t *testing.T, dir string, env []string, args ...string) ([]string, string) {
	t.Helper()
	bin, err := exec.LookPath("uwsgi")
	if err != nil {
		if os.Getenv("UWSGO_REQUIRE_PEERS") != "" {
			t.Fatalf("uwsgi is not installed; CI must install it (.ci/run)")
		}
		t.Skipf("uwsgi is not installed: skipping the comparison with real uWSGI (apt-get install uwsgi-core)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// chdir to a missing directory makes uWSGI exit right after printing.
	cmd := exec.CommandContext(ctx, bin, append(args, "--show-config", "--chdir", "/nonexistent-uwsgo-test")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.CombinedOutput()
	var lines []string
	in := false
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case l == ";uWSGI instance configuration":
			in = true
		case l == ";end of configuration":
			in = false
		case in && l != "[uwsgi]":
			k, _, _ := strings.Cut(l, " = ")
			if k == "show-config" || k == "chdir" || isLogicKey(k) {
				continue
			}
			lines = append(lines, l)
		}
	}
	return lines, string(out)
}

// shownConfig is what uwsgo read, in the same form.
func shownConfig(c *Config) []string {
	var out []string
	for _, l := range c.shown {
		if k, _, _ := strings.Cut(l, " = "); !isLogicKey(k) {
			out = append(out, l)
		}
	}
	return out
}

// sameAsUwsgi loads args with uwsgo and with real uWSGI (run in dir) and
// fails unless they read the same options and values in the same order.
func sameAsUwsgi(t *testing.T, dir string, env []string, args ...string) *Config {
	t.Helper()
	t.Chdir(dir)
	c, err := LoadWith(args, append(os.Environ(), env...), LoadOptions{AllowNotYet: true})
	if err != nil {
		t.Fatalf("uwsgo Load(%q): %v", args, err)
	}
	want, out := uwsgiShowConfig(t, dir, env, args...)
	got := shownConfig(c)
	for i := range got {
		got[i] = canonicalLine(got[i])
	}
	for i := range want {
		want[i] = canonicalLine(want[i])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%q: uwsgo read\n\t%s\nreal uWSGI read\n\t%s\nuWSGI said:\n%s", args, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"), out)
	}
	return c
}

// canonicalLine names a known option by its canonical name (uWSGI prints a
// short option by its long name) and drops the :section of a config file.
func canonicalLine(l string) string {
	k, v, _ := strings.Cut(l, " =")
	v = strings.TrimPrefix(v, " ")
	if o, ok := Lookup(k); ok {
		k = o.Name
		if isFileOption(k) {
			v, _ = splitSection(v)
		}
	}
	return k + " = " + v
}
