package routing

import (
	"strings"
	"testing"
)

// fakeReq records what the rules did.
type fakeReq struct {
	vars    map[string]string
	headers []string
	status  int
	loc     string
	body    string
	logs    []string
	path    string
}

func (f *fakeReq) Var(n string) []byte {
	if n == "PATH_INFO" && f.path != "" {
		return []byte(f.path)
	}
	return []byte(f.vars[n])
}
func (f *fakeReq) Query(n string) []byte        { return nil }
func (f *fakeReq) Cookie(n string) []byte       { return nil }
func (f *fakeReq) Rewrite(p, q string)          { f.path = p }
func (f *fakeReq) AddVar(k, v string)           { f.vars[k] = v }
func (f *fakeReq) AddHeader(k, v string)        { f.headers = append(f.headers, k+": "+v) }
func (f *fakeReq) DelHeader(k string)           {}
func (f *fakeReq) ServeFile(p string)           { f.status, f.body = 200, "file "+p }
func (f *fakeReq) Signal(uint8)                 {}
func (f *fakeReq) Log(l string)                 { f.logs = append(f.logs, l) }
func (f *fakeReq) DoNotLog()                    { f.logs = append(f.logs, "donotlog") }
func (f *fakeReq) Respond(s int, loc, b string) { f.status, f.loc, f.body = s, loc, b }
func (f *fakeReq) CacheGet(c, k string) ([]byte, bool) {
	return nil, false
}
func (f *fakeReq) CacheStore(c, k string, e int)                  {}
func (f *fakeReq) RPC(name string, args []string) ([]byte, error) { return []byte("next"), nil }

func table(t testing.TB, rules ...string) *Table {
	t.Helper()
	var es []Entry
	for i := 0; i < len(rules); i += 2 {
		es = append(es, Entry{Option: rules[i], Value: rules[i+1], Source: "test"})
	}
	tb, err := Compile(es)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestRewriteThenMatchOnNewPath(t *testing.T) {
	tb := table(t, "route", `^/old/(.*) rewrite:/new/$1`, "route", `^/new/(.*) log:now $1`, "route", `^/new/ last:`, "route", `.* break:404`)
	r := &fakeReq{vars: map[string]string{"PATH_INFO": "/old/page"}}
	if v := tb.Run(r); v != RunApp || r.path != "/new/page" || len(r.logs) != 1 || r.logs[0] != "now page" {
		t.Fatalf("verdict %v, path %q, logs %q", v, r.path, r.logs)
	}
}

func TestConditions(t *testing.T) {
	for _, tc := range []struct {
		cond string
		want bool
	}{
		{"equal:${A};x", true}, {"equal:${A};y", false}, {"startswith:${B};hel", true}, {"endswith:${B};llo", true},
		{"contains:${B};ell", true}, {"empty:${NONE}", true}, {"empty:${A}", false}, {"ishigher:${N};9", true},
		{"islower:${N};9", false}, {"ishigherequal:${N};10", true}, {"islowerequal:${N};10", true},
		{"regexp:${B};^h(e)", true}, {"isdir:/", true}, {"isfile:/", false}, {"exists:/nonexistent", false},
	} {
		tb := table(t, "route-if", tc.cond+" break:418")
		r := &fakeReq{vars: map[string]string{"A": "x", "B": "hello", "N": "10"}}
		tb.Run(r)
		if (r.status == 418) != tc.want {
			t.Errorf("%s: matched %v, want %v", tc.cond, r.status == 418, tc.want)
		}
		tbn := table(t, "route-if-not", tc.cond+" break:418")
		rn := &fakeReq{vars: r.vars}
		tbn.Run(rn)
		if (rn.status == 418) == tc.want {
			t.Errorf("route-if-not %s: matched %v", tc.cond, rn.status == 418)
		}
	}
}

func TestLookaroundPatterns(t *testing.T) {
	tb := table(t, "route", `^/((?!admin).)*$ addheader:X-Public: 1`)
	for p, want := range map[string]bool{"/home": true, "/admin/x": false} {
		r := &fakeReq{vars: map[string]string{"PATH_INFO": p}}
		tb.Run(r)
		if (len(r.headers) == 1) != want {
			t.Errorf("%s: headers %q", p, r.headers)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, e := range []Entry{{"route", "([ log:x", "f:1"}, {"route", "^/ nope:x", "f:2"}, {"route", "^/ goto:missing", "f:3"},
		{"route-if", "weird:x log:y", "f:4"}, {"route", "^/only-a-regexp", "f:5"}} {
		_, err := Compile([]Entry{e})
		if err == nil || !strings.Contains(err.Error(), e.Value) {
			t.Errorf("%+v: %v", e, err)
		}
	}
}

func TestBackwardGotoRefused(t *testing.T) {
	_, err := Compile([]Entry{{"route-label", "top", "f:1"}, {"route", ".* goto:top", "f:2"}})
	if err == nil || !strings.Contains(err.Error(), "forward") {
		t.Fatalf("a backward goto: %v", err)
	}
}

func TestNoAllocationWhenNoRuleMatches(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	tb := table(t, "route", `^/admin/ basicauth:a,b:c`, "route", `\.php$ break:403`, "route-host", `^old\.example$ redirect:https://new.example/`,
		"route-user-agent", `(?i)bot break:403`)
	r := &fakeReq{vars: map[string]string{"PATH_INFO": "/view/page", "HTTP_HOST": "example.com", "HTTP_USER_AGENT": "Mozilla/5.0"}}
	var v Verdict
	allocs := testing.AllocsPerRun(200, func() { v = tb.Run(allocFreeReq{r}) })
	if v != RunApp || allocs != 0 {
		t.Fatalf("verdict %v, %.1f allocs per request", v, allocs)
	}
}

// allocFreeReq serves Var from pre-made byte slices.
type allocFreeReq struct{ *fakeReq }

var cached = map[string][]byte{}

func (a allocFreeReq) Var(n string) []byte {
	b, ok := cached[n]
	if !ok {
		b = []byte(a.vars[n])
		cached[n] = b
	}
	return b
}

func BenchmarkRunNoMatch(b *testing.B) {
	tb := table(b, "route", `^/admin/ basicauth:a,b:c`, "route", `\.php$ break:403`, "route-host", `^old\.example$ redirect:https://new.example/`)
	r := allocFreeReq{&fakeReq{vars: map[string]string{"PATH_INFO": "/view/page", "HTTP_HOST": "example.com"}}}
	b.ReportAllocs()
	for b.Loop() {
		tb.Run(r)
	}
}

func TestDoNotLog(t *testing.T) {
	tb, err := Compile([]Entry{{Option: "route", Value: "^/healthz$ donotlog:"}})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/healthz": 1, "/other": 0} {
		r := &fakeReq{vars: map[string]string{"PATH_INFO": path}}
		if v := tb.Run(r); v != RunApp || len(r.logs) != want {
			t.Errorf("%s: verdict %v, logs %q", path, v, r.logs)
		}
	}
}
