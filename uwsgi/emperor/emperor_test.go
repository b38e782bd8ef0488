package emperor

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestArgvAndBinary(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(ini, []byte("[uwsgi]\nprivileged-binary-patch = /bin/patched\nbinary-path = /bin/app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := &vassal{path: ini}
	if got := v.binary("/bin/self"); got != "/bin/app" {
		t.Fatalf("binary = %q, want binary-path first", got)
	}
	o := Options{IncludesBefore: []string{"pre.ini"}, Sets: []string{"a=1"}, Includes: []string{"post.ini"}}
	want := []string{"/bin/app", "--include", "pre.ini", "--set", "a=1", "--ini", ini, "--include", "post.ini"}
	if got := v.argv(o, "/bin/app"); !slices.Equal(got, want) {
		t.Fatalf("argv = %q, want %q", got, want)
	}
	yml := filepath.Join(dir, "b.yaml")
	if err := os.WriteFile(yml, []byte("uwsgi:\n  master: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v = &vassal{path: yml}
	if got := v.binary("/bin/self"); got != "/bin/self" {
		t.Fatalf("binary of a file naming none = %q", got)
	}
	if got := v.argv(Options{}, "/bin/self"); !slices.Equal(got, []string{"/bin/self", "--yaml", yml}) {
		t.Fatalf("argv = %q", got)
	}
}

func TestVassalEnv(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "@x")
	t.Setenv("LISTEN_FDS", "2")
	t.Setenv("UWSGI_VASSAL_PROCESSES", "4")
	t.Setenv("UWSGI_EMPEROR_FD", "9")
	env := vassalEnv(3)
	for _, kv := range env {
		if strings.HasPrefix(kv, "NOTIFY_SOCKET=") || strings.HasPrefix(kv, "LISTEN_FDS=") || strings.HasPrefix(kv, "UWSGI_VASSAL_") || kv == "UWSGI_EMPEROR_FD=9" {
			t.Fatalf("vassal env has %q", kv)
		}
	}
	if !slices.Contains(env, "UWSGI_PROCESSES=4") || !slices.Contains(env, "UWSGI_EMPEROR_FD=3") {
		t.Fatalf("vassal env: %q", env)
	}
}

func TestMonitorFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.ini", "b.yml", "c.json", "notes.txt", ".hidden.ini"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := monitorFiles(dir)
	want := []string{filepath.Join(dir, "a.ini"), filepath.Join(dir, "b.yml"), filepath.Join(dir, "c.json")}
	if !slices.Equal(got, want) {
		t.Fatalf("dir monitor: %q", got)
	}
	if got := monitorFiles(filepath.Join(dir, "*.ini")); !slices.Equal(got, want[:1]) {
		t.Fatalf("glob monitor: %q", got)
	}
}

func TestThrottleGrowsToTheMaximum(t *testing.T) {
	e := &emperor{o: Options{Throttle: time.Second, MaxThrottle: 3 * time.Second}, logf: func(string, ...any) {}}
	v := &vassal{name: "x"}
	var got []time.Duration
	for range 5 {
		v.retryLater(e)
		got = append(got, v.throttle)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 1500 * time.Millisecond, 2500 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Fatalf("throttle levels %v, want %v", got, want)
	}
}
