package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docSnippets returns the fenced blocks of a docs page whose first line is
// "# NAME", by NAME.
func docSnippets(t *testing.T, page string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../docs", page))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	parts := strings.Split(string(b), "```")
	for i := 1; i < len(parts); i += 2 {
		_, body, _ := strings.Cut(parts[i], "\n") // drop the language tag
		first, _, _ := strings.Cut(body, "\n")
		if name, ok := strings.CutPrefix(first, "# "); ok {
			out[strings.Fields(name)[0]] = body
		}
	}
	return out
}

// unitValues returns the values of key= lines of a unit file.
func unitValues(unit, key string) []string {
	var out []string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestDeploySystemdSnippets checks docs/deploy.md's systemd units with
// systemd-analyze verify, then runs the service's ExecStart and its ini file
// the way systemd would: sockets from the .socket unit (through
// systemd-socket-activate), a notify socket, ExecReload, KillSignal.
func TestDeploySystemdSnippets(t *testing.T) {
	analyze := requirePeer(t, "systemd-analyze")
	activate := requirePeer(t, "systemd-socket-activate")
	snips := docSnippets(t, "deploy.md")
	service, socket, ini := snips["/etc/systemd/system/myapp.service"], snips["/etc/systemd/system/myapp.socket"], snips["/etc/myapp/myapp.ini"]
	if service == "" || socket == "" || ini == "" {
		t.Fatalf("deploy.md lost a snippet: %v", snips)
	}
	dir := t.TempDir()
	for _, d := range []string{"units", "etc", "run"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, bins.testapp, filepath.Join(dir, "myapp"))
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	fix := strings.NewReplacer("/usr/local/bin/myapp", filepath.Join(dir, "myapp"), "/etc/myapp/", dir+"/etc/",
		"/run/myapp/", dir+"/run/", "127.0.0.1:8080", addr)
	service, socket, ini = fix.Replace(service), fix.Replace(socket), fix.Replace(ini)
	for name, text := range map[string]string{"units/myapp.service": service, "units/myapp.socket": socket, "etc/myapp.ini": ini} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", "./myapp.service", "./myapp.socket")
	cmd.Dir = filepath.Join(dir, "units")
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}

	notifyAddr := fmt.Sprintf("@uwsgo-e2e-deploy-%d", os.Getpid())
	ns := listenNotify(t, notifyAddr)
	args := []string{"-E", "NOTIFY_SOCKET=" + notifyAddr}
	for _, l := range unitValues(socket, "ListenStream") {
		args = append(args, "-l", l)
	}
	execStart := unitValues(service, "ExecStart")
	if len(execStart) != 1 {
		t.Fatalf("ExecStart: %q", execStart)
	}
	args = append(append(args, "--"), strings.Fields(execStart[0])...)
	p := start(t, activate, nil, args...)
	waitDial(t, "tcp", addr, p)
	ns.expect(t, p, "STATUS=initializing uWSGI")
	ns.expect(t, p, "READY=1")
	unixPath := dir + "/run/uwsgi.sock"
	check := func() {
		t.Helper()
		if _, body := get(t, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, "http://"+addr+"/version"); !strings.HasPrefix(body, "v1 ") {
			t.Fatalf("http: %q", body)
		}
		if _, body, err := uwsgiGet("unix", unixPath, "/version"); err != nil || !strings.HasPrefix(body, "v1 ") {
			t.Fatalf("uwsgi on the unix socket: %q %v\n%s", body, err, p.log.String())
		}
	}
	check()
	reload := strings.Fields(strings.ReplaceAll(unitValues(service, "ExecReload")[0], "$MAINPID", fmt.Sprint(p.cmd.Process.Pid)))
	if out, err := exec.Command(reload[0], reload[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("ExecReload %q: %v %s", reload, err, out)
	}
	ns.expect(t, p, "RELOADING=1")
	ns.expect(t, p, "READY=1")
	check()
	if ks := unitValues(service, "KillSignal"); len(ks) != 1 || ks[0] != "SIGTERM" {
		t.Fatalf("KillSignal %q", ks)
	}
	p.signal(syscall.SIGTERM)
	ns.expect(t, p, "STOPPING=1")
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if fi, err := os.Lstat(unixPath); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("the activated unix socket is gone after exit: %v", err)
	}
}
