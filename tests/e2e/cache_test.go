package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cacheGet reads key through a new connection and returns the status, the
// serving worker's pid and the value.
func cacheGet(t *testing.T, base, cache, key string) (int, int, string) {
	t.Helper()
	code, body := get(t, oneShotClient(), base+"/cache/get?cache="+url.QueryEscape(cache)+"&key="+url.QueryEscape(key))
	pid, val, _ := strings.Cut(body, " ")
	n, _ := strconv.Atoi(pid)
	return code, n, val
}

func cacheSet(t *testing.T, base, cache, key, value, mode string) (int, int) {
	t.Helper()
	code, body := get(t, oneShotClient(), fmt.Sprintf("%s/cache/set?cache=%s&key=%s&value=%s&mode=%s",
		base, url.QueryEscape(cache), url.QueryEscape(key), url.QueryEscape(value), mode))
	pid, _, _ := strings.Cut(body, " ")
	n, _ := strconv.Atoi(pid)
	return code, n
}

func oneShotClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// readEverywhere reads key until every worker in pids answered want.
func readEverywhere(t *testing.T, base, cache, key, want string, pids []int) {
	t.Helper()
	seen := map[int]bool{}
	for i := 0; i < 400 && len(seen) < len(pids); i++ {
		code, pid, val := cacheGet(t, base, cache, key)
		if code != 200 || val != want {
			t.Fatalf("worker %d read %s = %d %q, want %q", pid, key, code, val, want)
		}
		seen[pid] = true
	}
	for _, pid := range pids {
		if !seen[pid] {
			t.Fatalf("worker %d never served a read (seen %v)", pid, seen)
		}
	}
}

func TestCacheAcrossWorkers(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "4", "--cache2", "name=shared,items=100,blocksize=1024")
	pids := waitChildren(t, p.cmd.Process.Pid, 4, 15*time.Second, nil)
	code, setter := cacheSet(t, base, "shared", "greeting", "hello from one worker", "set")
	if code != 200 {
		t.Fatalf("set: %d", code)
	}
	if code, _ := cacheSet(t, base, "shared", "greeting", "again", "set"); code != 409 {
		t.Fatalf("a second set of the key: %d, want 409 (ErrCacheExists)", code)
	}
	readEverywhere(t, base, "shared", "greeting", "hello from one worker", pids)

	// The worker that stored the value dies; every worker, its replacement
	// included, still reads it.
	if err := syscall.Kill(setter, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	pids = waitChildren(t, p.cmd.Process.Pid, 4, 15*time.Second, func(k []int) bool { return !contains(k, setter) })
	readEverywhere(t, base, "shared", "greeting", "hello from one worker", pids)
	if code, _, _ := cacheGet(t, base, "nope", "greeting"); code != 404 {
		t.Fatalf("an unknown cache: %d", code)
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestCacheKillNineLoop kills workers that update the cache in a tight
// loop, 100 times: the cache must never wedge and never hold a torn value.
// Every tenth kill is aimed: workers are stopped (SIGSTOP) at random until
// the stats show the stopped one holds the cache lock, and that one dies.
func TestCacheKillNineLoop(t *testing.T) {
	saddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p, base, _, _ := masterServer(t, []string{"TESTAPP_CACHE_HAMMER=1"}, "--processes", "8", "--stats", saddr,
		"--cache2", "name=hammer,items=40,blocksize=4096,blocks=2000,bitmap=1,ignore_full=1", "--disable-logging")
	master := p.cmd.Process.Pid
	waitChildren(t, master, 8, 15*time.Second, nil)
	waitDial(t, "tcp", saddr, p)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	kills, aimed := 0, 0
	deadline := time.Now().Add(90 * time.Second)
	for kills < 100 && time.Now().Before(deadline) {
		kids := children(master)
		if len(kids) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		victim := kids[rng.Intn(len(kids))]
		if kills%10 == 9 {
			if victim = stopLockHolder(t, saddr, kids, rng); victim == 0 {
				t.Fatal("no worker was ever caught holding the cache lock in 3000 tries")
			}
			aimed++
		}
		if syscall.Kill(victim, syscall.SIGKILL) == nil {
			kills++
		}
		if kills%10 == 0 {
			waitLockFreedFrom(t, saddr, victim)
		}
		time.Sleep(150 * time.Millisecond) // under the respawn throttle: 8 per second
	}
	if kills < 100 {
		t.Fatalf("only %d kills in 90 s", kills)
	}
	waitChildren(t, master, 8, 20*time.Second, nil)
	for range 20 {
		code, body := get(t, oneShotClient(), base+"/cache/verify")
		if code != 200 {
			t.Fatalf("after %d kills: %s", kills, body)
		}
	}
	if code, _ := cacheSet(t, base, "hammer", "after", "works", "update"); code != 200 {
		t.Fatalf("update after the kills: %d", code)
	}
	t.Logf("%d kills, %d of them of the lock holder; %d recoveries logged", kills, aimed, strings.Count(p.log.String(), "died holding the lock"))
}

// waitLockFreedFrom waits until the stats no longer show the dead pid as
// the cache lock's holder: the master or a waiting worker took it back.
func waitLockFreedFrom(t *testing.T, statsAddr string, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var doc struct {
			Locks []map[string]int `json:"locks"`
		}
		_ = json.Unmarshal(readStats(t, statsAddr), &doc)
		held := false
		for _, l := range doc.Locks {
			held = held || l["cache_hammer"] == pid
		}
		if !held {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the cache lock stayed with dead pid %d for 5 s", pid)
}

// stopLockHolder stops workers one at a time until one is caught holding
// the cache lock, and returns it (stopped); 0 if none was.
func stopLockHolder(t *testing.T, statsAddr string, kids []int, rng *rand.Rand) int {
	for range 3000 {
		pid := kids[rng.Intn(len(kids))]
		if syscall.Kill(pid, syscall.SIGSTOP) != nil {
			continue
		}
		var doc struct {
			Locks []map[string]int `json:"locks"`
		}
		_ = json.Unmarshal(readStats(t, statsAddr), &doc)
		for _, l := range doc.Locks {
			if l["cache_hammer"] == pid {
				return pid
			}
		}
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	return 0
}

func TestCacheStoreSurvivesRestart(t *testing.T) {
	store := filepath.Join(t.TempDir(), "cache.store")
	args := []string{"--processes", "2", "--cache2", "name=persist,items=10,blocksize=64,store=" + store}
	p, base, _, _ := masterServer(t, nil, args...)
	if code, _ := cacheSet(t, base, "persist", "k", "kept across restarts", "set"); code != 200 {
		t.Fatalf("set: %d", code)
	}
	p.signal(syscall.SIGINT)
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("stop: exit %d", code)
	}
	p2, base2, _, _ := masterServer(t, nil, args...)
	if code, _, val := cacheGet(t, base2, "persist", "k"); code != 200 || val != "kept across restarts" {
		t.Fatalf("after a restart: %d %q\n%s", code, val, p2.log.String())
	}
	// A store of another layout stops the start with uWSGI's message.
	bad := append(args[:3:3], "name=persist,items=11,blocksize=64,store="+store)
	code, out := run(t, bins.testapp, nil, append([]string{"--http-socket", fmt.Sprintf("127.0.0.1:%d", freePort(t))}, bad...)...)
	if code != 1 || !strings.Contains(out, "invalid cache store file") {
		t.Fatalf("mismatched store: exit %d\n%s", code, out)
	}
}

func TestCacheStats(t *testing.T) {
	saddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	_, base, _, _ := masterServer(t, nil, "--processes", "2", "--cache", "20", "--cache2", "name=two,items=5,blocksize=16",
		"--add-cache-item", "two seeded=yes", "--stats", saddr)
	if code, _, val := cacheGet(t, base, "two", "seeded"); code != 200 || val != "yes" {
		t.Fatalf("add-cache-item: %d %q", code, val)
	}
	cacheSet(t, base, "", "a", "1", "set") // "" = the default cache: --cache's
	cacheGet(t, base, "", "a")
	cacheGet(t, base, "", "missing")
	var doc struct {
		Locks  []map[string]int `json:"locks"`
		Caches []struct {
			Name                               string
			Hash                               string
			MaxItems                           int `json:"max_items"`
			Items, Hits, Miss, Full, Blocksize int
			Keysize, Hashsize, Blocks          int
			LastModifiedAt                     int `json:"last_modified_at"`
		} `json:"caches"`
	}
	if err := json.Unmarshal(readStats(t, saddr), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Caches) != 2 {
		t.Fatalf("caches: %+v", doc.Caches)
	}
	d, two := doc.Caches[0], doc.Caches[1]
	if d.Name != "default" || d.MaxItems != 20 || d.Items != 1 || d.Hits != 1 || d.Miss != 1 || d.Blocksize != 65536 || d.Hash != "djb33x" {
		t.Errorf("default cache stats: %+v", d)
	}
	if two.Name != "two" || two.Items != 1 || two.Blocksize != 16 || two.Keysize != 2048 || two.Hashsize != 65536 {
		t.Errorf("cache two stats: %+v", two)
	}
	names := map[string]bool{}
	for _, l := range doc.Locks {
		for k := range l {
			names[k] = true
		}
	}
	if !names["cache_default"] || !names["cache_two"] {
		t.Errorf("locks: %v", doc.Locks)
	}
}

func TestCacheOptionErrors(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--cache2 name=x,items=10,max-items=3", `unknown key "max-items"`},
		{"--cache2 items=10", "you have to specify a cache name"},
		{"--cache2 name=x,items=10,blocks=5", "must be higher than max_items"},
	} {
		args := append([]string{"--http-socket", fmt.Sprintf("127.0.0.1:%d", freePort(t))}, strings.SplitN(tc.args, " ", 2)...)
		code, out := run(t, bins.testapp, nil, args...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want 1 and %q:\n%s", tc.args, code, tc.want, out)
		}
	}
}

// TestCacheSweeper: the master's sweeper frees expired items every
// --cache-expire-freq seconds and reports them.
func TestCacheSweeper(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "2", "--cache2", "name=e,items=10,blocksize=16",
		"--cache-expire-freq", "1", "--cache-report-freed-items")
	code, body := get(t, oneShotClient(), base+"/cache/set?cache=e&key=short&value=v&ttl=1")
	if code != 200 {
		t.Fatalf("set: %d %s", code, body)
	}
	cacheSet(t, base, "e", "long", "v", "set")
	if code, _, _ := cacheGet(t, base, "e", "short"); code != 200 {
		t.Fatalf("before its expiry: %d", code)
	}
	p.waitLog(`freed 1 items for cache "e"`, 10*time.Second)
	if code, _, _ := cacheGet(t, base, "e", "short"); code != 404 {
		t.Fatalf("after the sweep: %d", code)
	}
	if code, _, _ := cacheGet(t, base, "e", "long"); code != 200 {
		t.Fatalf("an item without expiry: %d", code)
	}
}
