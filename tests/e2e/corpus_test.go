package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The differential corpus: published configs (tests/corpus/manifest.tsv
// names each one's repository, path and commit), adapted to run here
// (adapter), are started under uwsgo and under real uWSGI with the
// python3 plugin; both must serve or both refuse, except the deliberate
// differences of tests/corpus/expect.tsv, each with its reason.
//
// The files themselves are third-party content and are not committed: the
// test reads them from $UWSGO_CONFIG_CORPUS, tests/corpus/data or
// shared/config-corpus beside the checkout, and skips, saying so, when
// they are absent.

// outcome is what a server did with a config.
type outcome string

const (
	serves  outcome = "serves"
	refuses outcome = "refuses"
	hangs   outcome = "hangs" // neither served nor exited
)

type corpusEntry struct {
	name, repo, path, commit string
}

func readTSV(t *testing.T, p string) [][]string {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

func corpusFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ini":
		return "ini"
	case ".xml":
		return "xml"
	case ".yaml", ".yml":
		return "yaml"
	case ".json", ".js":
		return "json"
	}
	return ""
}

func TestPublishedConfigCorpus(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	requirePython3Plugin(t, uw)
	dir := os.Getenv("UWSGO_CONFIG_CORPUS")
	if dir == "" {
		// In a checkout, or in shared/ beside it (where the steering repo
		// may keep third-party data files, and where CI puts its copy).
		for _, d := range []string{"../corpus/data", "../../../shared/config-corpus"} {
			if _, err := os.Stat(d); err == nil {
				dir = d
				break
			}
		}
	}
	if _, err := os.Stat(dir); dir == "" || err != nil {
		t.Skipf("the corpus files are not here: put them in tests/corpus/data, ../shared/config-corpus or $UWSGO_CONFIG_CORPUS (sources: tests/corpus/manifest.tsv)")
	}
	expect := map[string][]string{}
	for _, r := range readTSV(t, "../corpus/expect.tsv") {
		expect[r[0]] = r
	}
	app := filepath.Join(t.TempDir(), "app.py")
	os.WriteFile(app, []byte("def application(e, s):\n    s('200 OK', [('Content-Type', 'text/plain')])\n    return [b'app']\n"), 0o644)
	sem := make(chan struct{}, 3) // three configs at a time: six servers on two cores
	var mu sync.Mutex
	counts := map[string]int{}
	t.Cleanup(func() { t.Logf("corpus: %v", counts) })
	for _, r := range readTSV(t, "../corpus/manifest.tsv") {
		e := corpusEntry{r[0], r[1], r[2], r[3]}
		format := corpusFormat(e.path)
		if format == "" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			ours, theirs, why := runCorpusEntry(t, uw, app, filepath.Join(dir, e.name), format)
			t.Logf("uwsgo %s, uWSGI %s", ours, theirs)
			mu.Lock()
			counts[string(ours)+"/"+string(theirs)]++
			mu.Unlock()
			if x, ok := expect[e.name]; ok {
				if string(ours) != x[1] || string(theirs) != x[2] {
					t.Errorf("%s (%s:%s): uwsgo %s, uWSGI %s; expect.tsv says %s/%s (%s)\n%s", e.name, e.repo, e.path, ours, theirs, x[1], x[2], x[3], why)
				}
				return
			}
			if ours != theirs {
				t.Errorf("%s (%s:%s): uwsgo %s, uWSGI %s\n%s", e.name, e.repo, e.path, ours, theirs, why)
			}
		})
	}
}

// runCorpusEntry adapts one file and runs it under both servers.
func runCorpusEntry(t *testing.T, uw, app, file, format string) (ours, theirs outcome, why string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("%v", err)
	}
	var logs [2]string
	var res [2]outcome
	var wg sync.WaitGroup
	for i := range 2 {
		// Each server gets its own copy with its own ports and directory.
		work := t.TempDir()
		os.Mkdir(filepath.Join(work, "w"), 0o755)
		a := &adapter{t: t, dir: work}
		text, err := a.adapt(format, string(raw))
		if err != nil {
			t.Fatalf("adapting: %v", err)
		}
		cfg := filepath.Join(work, filepath.Base(file))
		os.WriteFile(cfg, []byte(text), 0o644)
		args := []string{"--" + format, cfg}
		bin := bins.testapp
		if i == 1 {
			bin = uw
			args = append([]string{"--plugin", "python3,http,cheaper_busyness,router_static,router_redirect,router_rewrite,router_expires,router_basicauth,logfile"},
				append(args, "--wsgi-file", app)...)
		}
		wg.Go(func() {
			res[i], logs[i] = tryServe(t, bin, args, a.listeners, a.httpProto)
		})
	}
	wg.Wait()
	return res[0], res[1], fmt.Sprintf("--- uwsgo:\n%s\n--- uWSGI:\n%s", tail(logs[0], 15), tail(logs[1], 15))
}

// tryServe starts a server and says whether it answers on its first
// listener within a few seconds, exits first, or does neither.
func tryServe(t *testing.T, bin string, args []string, ls []listener, httpProto bool) (outcome, string) {
	p := start(t, bin, nil, args...)
	defer p.kill()
	deadline := time.Now().Add(12 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return refuses, p.log.String()
		default:
		}
		if len(ls) > 0 && probe(ls[0], httpProto) {
			return serves, p.log.String()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return hangs, p.log.String()
}

// probe sends one request: HTTP on HTTP listeners, a uwsgi packet on the
// others (HTTP too when the config set protocol = http); any answer counts.
func probe(l listener, httpProto bool) bool {
	c, err := net.DialTimeout(l.network, l.addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	if l.http || httpProto {
		resp, err := rawRequest(l, []byte("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"))
		return err == nil && strings.HasPrefix(resp, "HTTP/")
	}
	_, _, err = uwsgiRequest(l.network, l.addr, getVars("/"), nil)
	return err == nil
}

func rawRequest(l listener, req []byte) (string, error) {
	c, err := net.DialTimeout(l.network, l.addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(req); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return line, err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
