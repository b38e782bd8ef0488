package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// uwsgo's own Emperor (--emperor), with uwsgo and real uWSGI vassals.

// emperorStats reads uwsgo's Emperor stats JSON.
func emperorStats(t *testing.T, addr string) map[string]any {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var doc map[string]any
	if err := json.NewDecoder(c).Decode(&doc); err != nil {
		t.Fatalf("emperor stats: %v", err)
	}
	return doc
}

// statsVassal finds vassal id in a stats document.
func statsVassal(t *testing.T, doc map[string]any, id string) map[string]any {
	t.Helper()
	list, _ := doc["vassals"].([]any)
	for _, v := range list {
		if m, ok := v.(map[string]any); ok && m["id"] == id {
			return m
		}
	}
	t.Fatalf("no vassal %s in the stats: %v", id, doc)
	return nil
}

// TestUwsgoEmperor runs uwsgo's own --emperor over two different uwsgo
// apps (named by binary-path, in ini and yaml) and one real uWSGI vassal
// (binary-path = /usr/bin/uwsgi): create, touch, kill -9, remove, the stats
// JSON, --vassal-set and --vassals-include, then the Emperor's SIGTERM.
func TestUwsgoEmperor(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	dir := t.TempDir()
	vassals := filepath.Join(dir, "vassals")
	if err := os.Mkdir(vassals, 0o755); err != nil {
		t.Fatal(err)
	}
	app1, app2 := filepath.Join(dir, "app1"), filepath.Join(dir, "app2")
	copyFile(t, bins.testapp, app1)
	copyFile(t, bins.hello, app2)
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pyApp := filepath.Join(dir, "app.py")
	write(pyApp, "def application(env, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'py']\n")
	include := filepath.Join(dir, "common.ini")
	write(include, "[uwsgi]\nenv = INCLUDED=yes\n")
	addrA := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	addrB := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	addrC := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	iniA, ymlB, iniC := filepath.Join(vassals, "a.ini"), filepath.Join(vassals, "b.yml"), filepath.Join(vassals, "c.ini")
	write(iniA, fmt.Sprintf("[uwsgi]\nbinary-path = %s\nmaster = true\nprocesses = 2\ngoroutines = 4\nhttp-socket = %s\ndisable-logging = true\n", app1, addrA))
	write(ymlB, fmt.Sprintf("uwsgi:\n  binary-path: %s\n  master: true\n  http-socket: %s\n", app2, addrB))
	write(iniC, fmt.Sprintf("[uwsgi]\nbinary-path = %s\nplugin = python3\nwsgi-file = %s\nmaster = true\nhttp-socket = %s\ndisable-logging = true\n", uw, pyApp, addrC))
	statsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	notifyAddr := fmt.Sprintf("@uwsgo-e2e-emperor-%d", os.Getpid())
	ns := listenNotify(t, notifyAddr)
	p := start(t, bins.testapp, []string{"NOTIFY_SOCKET=" + notifyAddr}, "--emperor", vassals, "--emperor-freq", "1", "--emperor-stats", statsAddr,
		"--vassal-set", "env=FROM_EMPEROR=set", "--vassals-include", include)
	ns.expect(t, p, "STATUS=The Emperor is governing 3 vassals", "READY=1")
	for _, a := range []string{addrA, addrB, addrC} {
		waitDial(t, "tcp", a, p)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, body := get(t, client, "http://"+addrA+"/version"); !strings.HasPrefix(body, "v1 ") {
		t.Fatalf("a.ini (testapp) answers %q", body)
	}
	if _, body := get(t, client, "http://"+addrB+"/view/"); body != "<h1>Hello World</h1>" {
		t.Fatalf("b.yml (hello) answers %q", body)
	}
	if _, body := get(t, client, "http://"+addrC+"/"); body != "py" {
		t.Fatalf("c.ini (uWSGI python) answers %q", body)
	}
	for name, want := range map[string]string{"FROM_EMPEROR": "set", "INCLUDED": "yes", "NOTIFY_SOCKET": ""} {
		if _, body := get(t, client, "http://"+addrA+"/env?name="+name); !strings.HasSuffix(body, " "+want) {
			t.Fatalf("vassal a sees %s=%q, want %q", name, body, want)
		}
	}
	for _, id := range []string{"a.ini", "b.yml", "c.ini"} {
		p.waitLog("[emperor] vassal "+id+" is now loyal", 30*time.Second) // uWSGI: after its first request
	}
	doc := emperorStats(t, statsAddr)
	if em, _ := doc["emperor"].([]any); len(em) != 1 || em[0] != vassals {
		t.Fatalf("stats emperor = %v", doc["emperor"])
	}
	for _, id := range []string{"a.ini", "b.yml", "c.ini"} {
		v := statsVassal(t, doc, id)
		if v["loyal"] != 1.0 || v["pid"].(float64) <= 0 || v["monitor"] != vassals {
			t.Fatalf("stats of %s: %v", id, v)
		}
	}
	pidA := int(statsVassal(t, doc, "a.ini")["pid"].(float64))
	pidC := int(statsVassal(t, doc, "c.ini")["pid"].(float64))

	// touch: a reloads its workers under load (0 failed), the uWSGI vassal reloads too.
	workersA := waitChildren(t, pidA, 2, 15*time.Second, nil)
	l := startLoad("http://"+addrA, "", "/version", 2, 2*time.Minute)
	time.Sleep(300 * time.Millisecond)
	touchFile(t, iniA, 2*time.Second)
	touchFile(t, iniC, 2*time.Second)
	p.waitLog("[emperor] reload the uwsgi instance a.ini", 30*time.Second)
	p.waitLog("[emperor] reload the uwsgi instance c.ini", 30*time.Second)
	waitChildren(t, pidA, 2, 60*time.Second, func(k []int) bool { return disjoint(k, workersA) })
	time.Sleep(300 * time.Millisecond)
	summary := l.finish()
	t.Logf("load on a.ini across the Emperor's reload: %s", summary)
	if l.failed.Load() != 0 || l.ok.Load() == 0 {
		t.Fatalf("requests failed across the reload: %s", summary)
	}
	p.waitLog("gracefully (RE)spawned uWSGI master", 30*time.Second) // the uWSGI vassal's reload
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, body := get(t, client, "http://"+addrC+"/"); body == "py" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the uWSGI vassal does not answer after its reload")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !alive(pidA) || !alive(pidC) {
		t.Fatal("a reload replaced a vassal's master")
	}

	// kill -9 of a vassal's master: the Emperor starts it again.
	if err := syscall.Kill(pidA, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitCount("[emperor] starting vassal a.ini", 2, 30*time.Second)
	p.waitCount("[emperor] vassal a.ini is now loyal", 2, 30*time.Second)
	if _, body := get(t, client, "http://"+addrA+"/version"); !strings.HasPrefix(body, "v1 ") {
		t.Fatalf("a.ini after kill -9 answers %q", body)
	}
	if v := statsVassal(t, emperorStats(t, statsAddr), "a.ini"); v["respawns"] != 1.0 || int(v["pid"].(float64)) == pidA {
		t.Fatalf("stats of a.ini after kill -9: %v", v)
	}

	// remove: the vassal stops and is forgotten.
	if err := os.Remove(ymlB); err != nil {
		t.Fatal(err)
	}
	p.waitLog("[emperor] removed uwsgi instance b.yml", 30*time.Second)
	waitClosed(t, addrB, p)
	if list, _ := emperorStats(t, statsAddr)["vassals"].([]any); len(list) != 2 {
		t.Fatalf("stats after removing b.yml: %v", list)
	}
	if _, body := get(t, client, "http://"+addrC+"/"); body != "py" {
		t.Fatalf("c.ini answers %q after b was removed", body)
	}

	// SIGHUP to the Emperor reloads every vassal.
	pidA = int(statsVassal(t, emperorStats(t, statsAddr), "a.ini")["pid"].(float64))
	workersA = waitChildren(t, pidA, 2, 15*time.Second, nil)
	p.signal(syscall.SIGHUP)
	p.waitCount("[emperor] reload the uwsgi instance a.ini", 2, 30*time.Second)
	p.waitCount("[emperor] reload the uwsgi instance c.ini", 2, 30*time.Second)
	waitChildren(t, pidA, 2, 60*time.Second, func(k []int) bool { return disjoint(k, workersA) })
	// uWSGI says "accepting" again after each reload (start, touch, SIGHUP);
	// a stop command that arrives while it re-executes itself is lost.
	p.waitCount("[emperor] vassal c.ini is ready to accept requests", 3, 30*time.Second)
	if _, body := get(t, client, "http://"+addrC+"/"); body != "py" {
		t.Fatalf("c.ini answers %q after the Emperor's SIGHUP", body)
	}

	// The Emperor's end stops every vassal.
	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("the Emperor exited %d", code)
	}
	if !strings.Contains(p.log.String(), "The Emperor is buried.") {
		t.Fatalf("no burial:\n%s", p.log.String())
	}
	var last string
	stopping := false
	for done := false; !done; {
		select {
		case msg := <-ns.msgs:
			last = msg
			stopping = stopping || strings.Contains(msg, "STOPPING=1\n")
		default:
			done = true
		}
	}
	if !stopping || last != "STATUS=The Emperor is governing 0 vassals\n" {
		t.Fatalf("the Emperor's last notification %q (STOPPING=1 seen: %v)", last, stopping)
	}
	for _, a := range []string{addrA, addrC} {
		waitClosed(t, a, p)
	}
}

// procUID is the real uid of pid.
func procUID(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			return f[1]
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return ""
}

// TestUwsgoEmperorTyrantThrottleHeartbeat (vassals named by a glob):
// --emperor-tyrant runs a vassal
// as its file's owner and refuses a root-owned file; a vassal that dies
// before it is loyal is throttled ever longer (and listed in the stats'
// blacklist); a vassal whose heartbeats stop is killed and started again.
func TestUwsgoEmperorTyrantThrottleHeartbeat(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("--emperor-tyrant needs root")
	}
	const nobody = 65534
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vassals := filepath.Join(dir, "vassals")
	if err := os.Mkdir(vassals, 0o755); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "app")
	copyFile(t, bins.testapp, app)
	addr, rootAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	write := func(name, text string, uid int) {
		t.Helper()
		path := filepath.Join(vassals, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	write("t.ini", fmt.Sprintf("[uwsgi]\nbinary-path = %s\nmaster = true\nhttp-socket = %s\nheartbeat = 1\ndisable-logging = true\n", app, addr), nobody)
	write("root.ini", fmt.Sprintf("[uwsgi]\nbinary-path = %s\nmaster = true\nhttp-socket = %s\n", app, rootAddr), 0)
	write("bad.ini", "[uwsgi]\nbinary-path = /bin/false\n", nobody)
	statsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--emperor", filepath.Join(vassals, "*.ini"), "--emperor-tyrant", "--emperor-freq", "1",
		"--emperor-throttle", "200", "--emperor-required-heartbeat", "3", "--emperor-stats", statsAddr)
	waitDial(t, "tcp", addr, p)
	p.waitLog("[emperor] vassal t.ini is now loyal", 30*time.Second)
	master := int(statsVassal(t, emperorStats(t, statsAddr), "t.ini")["pid"].(float64))
	workers := waitChildren(t, master, 1, 15*time.Second, nil)
	if u, w := procUID(t, master), procUID(t, workers[0]); u != "65534" || w != "65534" {
		t.Fatalf("tyrant vassal runs as uid %s (worker %s), want 65534", u, w)
	}
	p.waitLog("[emperor-tyrant] invalid permissions for vassal root.ini", 10*time.Second)
	if c, err := net.DialTimeout("tcp", rootAddr, time.Second); err == nil {
		c.Close()
		t.Fatal("the root-owned vassal file was run")
	}

	p.waitLog("throttling vassal bad.ini for 200ms", 15*time.Second)
	p.waitLog("throttling vassal bad.ini for 400ms", 15*time.Second)
	p.waitLog("throttling vassal bad.ini for 600ms", 15*time.Second)
	doc := emperorStats(t, statsAddr)
	list, _ := doc["blacklist"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != "bad.ini" || list[0].(map[string]any)["attempt"].(float64) < 3 {
		t.Fatalf("stats blacklist: %v", doc["blacklist"])
	}

	if err := syscall.Kill(master, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	p.waitLog("[emperor] vassal t.ini sent no heartbeat in last 3 seconds, brutally respawning it...", 30*time.Second)
	p.waitCount("[emperor] vassal t.ini is now loyal", 2, 30*time.Second)
	waitDial(t, "tcp", addr, p)
	if v := statsVassal(t, emperorStats(t, statsAddr), "t.ini"); int(v["pid"].(float64)) == master || v["respawns"] != 1.0 {
		t.Fatalf("stats of t.ini after the hung master: %v", v)
	}
}

// TestEmperorStatsKeysMatchUWSGI governs the same vassal with uWSGI's
// Emperor and with uwsgo's, each with --emperor-stats, and compares the
// documents' keys, at the top and per vassal.
func TestEmperorStatsKeysMatchUWSGI(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	keys := func(m map[string]any) string {
		var k []string
		for name := range m {
			k = append(k, name)
		}
		sort.Strings(k)
		return strings.Join(k, ",")
	}
	docs := map[string]map[string]any{}
	for name, bin := range map[string]string{"uwsgi": uw, "uwsgo": bins.testapp} {
		vassals := t.TempDir()
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		conf := fmt.Sprintf("[uwsgi]\nprivileged-binary-patch = %s\nmaster = true\nhttp-socket = %s\n", bins.testapp, addr)
		if err := os.WriteFile(filepath.Join(vassals, "app.ini"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		statsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		p := start(t, bin, nil, "--emperor", vassals, "--emperor-stats", statsAddr)
		p.waitLog("vassal app.ini is now loyal", 30*time.Second)
		waitDial(t, "tcp", statsAddr, p)
		docs[name] = emperorStats(t, statsAddr)
		p.signal(syscall.SIGINT)
		p.wait(60 * time.Second)
	}
	if a, b := keys(docs["uwsgi"]), keys(docs["uwsgo"]); a != b {
		t.Fatalf("top-level keys differ:\nuWSGI %s\nuwsgo %s", a, b)
	}
	if a, b := keys(statsVassal(t, docs["uwsgi"], "app.ini")), keys(statsVassal(t, docs["uwsgo"], "app.ini")); a != b {
		t.Fatalf("vassal keys differ:\nuWSGI %s\nuwsgo %s", a, b)
	}
	for _, k := range []string{"loyal", "ready", "accepting"} {
		if a, b := statsVassal(t, docs["uwsgi"], "app.ini")[k], statsVassal(t, docs["uwsgo"], "app.ini")[k]; a != b {
			t.Errorf("vassal %s: uWSGI %v, uwsgo %v", k, a, b)
		}
	}
}
