package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The stats document's schema, written from the spec's uWSGI 2.0.21 sample
// (shared/spec/uwsgi-2.0.md §4.2), not from our output: keys in order, and
// their JSON types. uwsgitop and uwsgi_exporter decode into fixed types.
var (
	topKeys = []kv{{"version", "string"}, {"listen_queue", "int"}, {"listen_queue_errors", "int"}, {"signal_queue", "int"},
		{"load", "int"}, {"pid", "int"}, {"uid", "int"}, {"gid", "int"}, {"cwd", "string"}, {"locks", "array"},
		{"sockets", "array"}, {"workers", "array"}}
	socketKeys = []kv{{"name", "string"}, {"proto", "string"}, {"queue", "int"}, {"max_queue", "int"}, {"shared", "int"}, {"can_offload", "int"}}
	workerKeys = []kv{{"id", "int"}, {"pid", "int"}, {"accepting", "int"}, {"requests", "int"}, {"delta_requests", "int"},
		{"exceptions", "int"}, {"harakiri_count", "int"}, {"signals", "int"}, {"signal_queue", "int"}, {"status", "string"},
		{"rss", "int"}, {"vsz", "int"}, {"running_time", "int"}, {"last_spawn", "int"}, {"respawn_count", "int"},
		{"tx", "int"}, {"avg_rt", "int"}, {"apps", "array"}, {"cores", "array"}}
	coreKeys = []kv{{"id", "int"}, {"requests", "int"}, {"static_requests", "int"}, {"routed_requests", "int"},
		{"offloaded_requests", "int"}, {"write_errors", "int"}, {"read_errors", "int"}, {"in_request", "int"},
		{"vars", "array"}, {"req_info", "object"}}
)

type kv struct{ key, typ string }

// ordered is a JSON object with its keys in document order.
type ordered struct {
	keys []string
	vals map[string]json.RawMessage
}

func parseOrdered(t *testing.T, raw []byte) ordered {
	t.Helper()
	o := ordered{vals: map[string]json.RawMessage{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %.80s", raw)
	}
	for dec.More() {
		tok, _ := dec.Token()
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		o.keys = append(o.keys, k)
		o.vals[k] = v
	}
	return o
}

func jsonType(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	switch {
	case strings.HasPrefix(s, `"`):
		return "string"
	case strings.HasPrefix(s, "["):
		return "array"
	case strings.HasPrefix(s, "{"):
		return "object"
	case strings.ContainsAny(s, ".eE"):
		return "float"
	case s == "true" || s == "false" || s == "null":
		return s
	}
	return "int"
}

func checkSchema(t *testing.T, what string, raw []byte, want []kv) ordered {
	t.Helper()
	o := parseOrdered(t, raw)
	var keys []string
	for _, k := range want {
		keys = append(keys, k.key)
		if got := jsonType(o.vals[k.key]); got != k.typ {
			t.Errorf("%s.%s is %s, want %s", what, k.key, got, k.typ)
		}
	}
	if strings.Join(o.keys, ",") != strings.Join(keys, ",") {
		t.Errorf("%s keys\n got %v\nwant %v", what, o.keys, keys)
	}
	return o
}

func readStats(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStatsServerSchemaAndCounters(t *testing.T) {
	saddr, paddr := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--goroutines", "4", "--disable-logging", "--stats", saddr, "--stats-prometheus", paddr)
	waitChildren(t, p.cmd.Process.Pid, 2, 15*time.Second, nil)
	waitDial(t, "tcp", saddr, p)
	const sent = 300
	oneShot := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range sent {
		c := http.DefaultClient
		if i%2 == 0 {
			c = oneShot
		}
		if code, _ := get(t, c, base+"/view/"); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	raw := readStats(t, saddr)
	if !bytes.Contains(raw, []byte("{\n\t\"version\":")) {
		t.Errorf("not uWSGI's pretty layout: %.60q", raw)
	}
	top := checkSchema(t, "stats", raw, topKeys)
	var sockets, workers []json.RawMessage
	json.Unmarshal(top.vals["sockets"], &sockets)
	json.Unmarshal(top.vals["workers"], &workers)
	if len(sockets) != 2 || len(workers) != 2 {
		t.Fatalf("%d sockets, %d workers", len(sockets), len(workers))
	}
	for i, s := range sockets {
		checkSchema(t, fmt.Sprintf("sockets[%d]", i), s, socketKeys)
	}
	var total uint64
	for i, w := range workers {
		wo := checkSchema(t, fmt.Sprintf("workers[%d]", i), w, workerKeys)
		var n, delta, pid uint64
		json.Unmarshal(wo.vals["requests"], &n)
		json.Unmarshal(wo.vals["delta_requests"], &delta)
		json.Unmarshal(wo.vals["pid"], &pid)
		total += n
		var cores []json.RawMessage
		json.Unmarshal(wo.vals["cores"], &cores)
		if len(cores) != 4 {
			t.Errorf("worker %d has %d cores, want 4", i, len(cores))
		}
		var coreSum uint64
		for j, c := range cores {
			co := checkSchema(t, fmt.Sprintf("workers[%d].cores[%d]", i, j), c, coreKeys)
			var r uint64
			json.Unmarshal(co.vals["requests"], &r)
			coreSum += r
		}
		if coreSum != delta || pid == 0 {
			t.Errorf("worker %d: cores served %d, delta_requests %d, pid %d", i, coreSum, delta, pid)
		}
	}
	if total != sent {
		t.Errorf("workers' requests add up to %d, %d were sent", total, sent)
	}
	// The same figures as Prometheus text; promtool checks the format.
	resp, err := http.Get("http://" + paddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(text, []byte(`uwsgi_worker_requests_total{worker_id="1"}`)) {
		t.Fatalf("prometheus text:\n%s", text)
	}
	// Scrapes under load show the counters moving.
	l := startLoad(base, "", "/view/", 2, 30*time.Second)
	scrape := func() string {
		resp, err := http.Get("http://" + paddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var sum float64
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "uwsgi_worker_requests_total{") {
				var v float64
				fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
				sum += v
			}
		}
		return fmt.Sprint(sum)
	}
	first := scrape()
	time.Sleep(300 * time.Millisecond)
	second := scrape()
	if summary := l.finish(); l.failed.Load() != 0 {
		t.Fatalf("load: %s", summary)
	}
	if first == second {
		t.Errorf("requests_total did not move under load: %s then %s", first, second)
	}
	promtool := requirePeer(t, "promtool")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\n%s", err, out, text)
	}
}

func TestStatsHTTPOnUnixSocketSingleProcess(t *testing.T) {
	sock := t.TempDir() + "/stats.sock"
	p, base := httpServer(t, bins.hello, nil, "--stats", sock, "--stats-http", "--stats-minified")
	waitDial(t, "unix", sock, p)
	get(t, http.DefaultClient, base+"/view/")
	resp, body := func() (*http.Response, []byte) {
		resp, err := unixClient(sock).Get("http://stats/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("stats over HTTP: %d %v", resp.StatusCode, resp.Header)
	}
	if bytes.ContainsAny(body, "\n\t") {
		t.Errorf("--stats-minified output has newlines or tabs")
	}
	var doc struct {
		Workers []struct {
			ID       int `json:"id"`
			Requests int `json:"requests"`
		} `json:"workers"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Workers) != 1 || doc.Workers[0].ID != 1 || doc.Workers[0].Requests != 1 {
		t.Fatalf("single-process stats: %v %s", err, body)
	}
}
