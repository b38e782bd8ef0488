package static

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"
)

// body is the response's body, read from its stream when it has one.
func body(t *testing.T, ctx *fasthttp.RequestCtx) string {
	t.Helper()
	if !ctx.Response.IsBodyStream() {
		return string(ctx.Response.Body())
	}
	r := ctx.Response.BodyStream()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	ctx.Response.Reset() // closes the stream: gives the file back
	return string(b)
}

// TestCacheServesTheFileAsItIs changes a cached file in every way between
// two requests: each response is the file as it now is.
func TestCacheServesTheFileAsItIs(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Maps: []string{"/s=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "f.txt")
	serve := func(step, want string) {
		t.Helper()
		ctx, ok := get(s, "/s/f.txt", "")
		got := ""
		if ok {
			got = body(t, ctx)
		}
		if want == "" && ok || want != "" && got != want {
			t.Fatalf("%s: found %v, %q, want %q", step, ok, got, want)
		}
	}
	os.WriteFile(name, []byte("one"), 0o644)
	serve("new", "one")
	serve("cached", "one")
	if n := len(s.cache.plain); n != 1 {
		t.Fatalf("%d cached entries, want 1", n)
	}
	f, _ := os.OpenFile(name, os.O_WRONLY, 0)
	f.WriteAt([]byte("ONE"), 0)
	f.Close()
	serve("same size, in place", "ONE")
	os.Truncate(name, 2)
	serve("truncated", "ON")
	big := strings.Repeat("x", 100<<10) // streamed (a Body)
	os.WriteFile(name+".tmp", []byte(big), 0o644)
	os.Rename(name+".tmp", name)
	serve("replaced by rename, bigger", big)
	serve("cached, bigger", big)
	os.Remove(name)
	serve("deleted", "")
	os.WriteFile(name, []byte("two"), 0o644)
	serve("created again", "two")
}

// TestCacheRechecksThePath swaps a symlinked directory: the cached file
// still exists, unchanged, but the path leads elsewhere; it is seen within
// a second.
func TestCacheRechecksThePath(t *testing.T) {
	dir := t.TempDir()
	for _, rel := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(dir, rel), 0o755)
		os.WriteFile(filepath.Join(dir, rel, "f.txt"), []byte("release "+rel), 0o644)
	}
	os.Symlink("a", filepath.Join(dir, "current"))
	s, _ := New(Config{Maps: []string{"/s=" + dir}})
	ctx, ok := get(s, "/s/current/f.txt", "")
	if !ok || body(t, ctx) != "release a" {
		t.Fatalf("before the swap: %v %q", ok, ctx.Response.Body())
	}
	os.Symlink("b", filepath.Join(dir, "next"))
	os.Rename(filepath.Join(dir, "next"), filepath.Join(dir, "current"))
	e := s.cache.plain["/s/current/f.txt"]
	e.checked.Store(clock() - int64(recheck)) // a second later
	ctx, ok = get(s, "/s/current/f.txt", "")
	if !ok || body(t, ctx) != "release b" {
		t.Fatalf("a second after the swap: %v %q", ok, ctx.Response.Body())
	}
}

// TestCacheLetsIdleFilesGo: a sweep closes the files not used since the
// previous one, and a file in use stays open until its response is done.
func TestCacheLetsIdleFilesGo(t *testing.T) {
	s, _ := testServer(t)
	ctx, _ := get(s, "/static/a.css", "")
	e := s.cache.plain["/static/a.css"]
	if e == nil || e.refs.Load() != 1 {
		t.Fatalf("after a request: entry %v", e)
	}
	ctx.Response.Reset()
	f, _ := s.Open("/static/a.css", false) // in use across two sweeps
	s.cache.sweep()
	s.cache.sweep()
	if len(s.cache.plain) != 0 || e.refs.Load() != 1 {
		t.Fatalf("after two sweeps: %d entries, %d references", len(s.cache.plain), e.refs.Load())
	}
	var b [1]byte
	if _, err := (&Body{file: f, n: 1}).Read(b[:]); err != nil {
		t.Fatalf("the file in use was closed: %v", err)
	}
	f.Close()
	if e.refs.Load() != 0 {
		t.Fatalf("%d references left", e.refs.Load())
	}
}

// TestServeHitAllocatesNothing: a cached file served, headers and body,
// allocates nothing (make test's Alloc pass).
func TestServeHitAllocatesNothing(t *testing.T) {
	s, _ := testServer(t)
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.SetRequestURI("/static/a.css")
	hit := func() {
		ctx.Response.Reset()
		f, _ := s.Open("/static/a.css", false)
		s.Serve(ctx, f)
	}
	hit()
	if n := testing.AllocsPerRun(200, hit); n != 0 {
		t.Fatalf("a cache hit allocates %v times", n)
	}
	ctx.Request.Header.Set("If-Modified-Since", string(ctx.Response.Header.Peek("Last-Modified")))
	if n := testing.AllocsPerRun(200, hit); n != 0 || ctx.Response.StatusCode() != 304 {
		t.Fatalf("a 304 allocates %v times (status %d)", n, ctx.Response.StatusCode())
	}
}

// BenchmarkServeBigFile is a 1 MiB hit as a streamed Body (what the
// connection sends with sendfile).
func BenchmarkServeBigFile(b *testing.B) {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "big.js"), make([]byte, 1<<20), 0o644)
	s, _ := New(Config{Maps: []string{"/s=" + dir}})
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.SetRequestURI("/s/big.js")
	b.ReportAllocs()
	for range b.N {
		ctx.Response.Reset()
		f, _ := s.Open("/s/big.js", false)
		s.Serve(ctx, f)
	}
}

// fileConn is a connection that says it sends files (as uwsgo's sockets).
type fileConn struct {
	net.Conn
	follows int
}

func (c *fileConn) SendsFiles() bool { return true }
func (c *fileConn) FileFollows()     { c.follows++ }

// TestServeSendfileHitAllocatesNothing: on a connection that sends files,
// a hit answers with a pooled Body and announces it, allocating nothing.
func TestServeSendfileHitAllocatesNothing(t *testing.T) {
	s, body := testServer(t)
	ctx := &fasthttp.RequestCtx{}
	conn := &fileConn{}
	ctx.Init2(conn, nil, false)
	ctx.Request.SetRequestURI("/static/a.css")
	hit := func() {
		ctx.Response.Reset() // closes the last Body: the file goes back
		f, _ := s.Open("/static/a.css", false)
		s.Serve(ctx, f)
	}
	hit()
	b, ok := ctx.Response.BodyStream().(*Body)
	if !ok || conn.follows != 1 {
		t.Fatalf("body %T, FileFollows called %d times", ctx.Response.BodyStream(), conn.follows)
	}
	if fd, off, n := b.FileRange(); fd < 0 || off != 0 || n != int64(len(body)) {
		t.Fatalf("range %d %d %d", fd, off, n)
	}
	if n := testing.AllocsPerRun(200, hit); n != 0 {
		t.Fatalf("a sendfile hit allocates %v times", n)
	}
	ctx.Response.Reset()
}

// TestCacheUnderChurn serves a file from several goroutines while it is
// rewritten, replaced and deleted and the cache sweeps (for -race): every
// answer is one of the versions whole, and no reference is left over.
func TestCacheUnderChurn(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f.txt")
	versions := []string{strings.Repeat("a", 100), strings.Repeat("b", 20<<10), strings.Repeat("c", 90<<10)}
	os.WriteFile(name, []byte(versions[0]), 0o644)
	s, _ := New(Config{Maps: []string{"/s=" + dir}})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, ok := get(s, "/s/f.txt", "")
				if !ok {
					continue // deleted just then
				}
				got := string(ctx.Response.Body())
				if r := ctx.Response.BodyStream(); r != nil {
					b, err := io.ReadAll(r)
					got = string(b)
					if err != nil {
						got = err.Error()
					}
				}
				if !slices.Contains(versions, got) {
					select {
					case errs <- fmt.Sprintf("%d bytes, not a version", len(got)):
					default:
					}
				}
				ctx.Response.Reset()
			}
		}()
	}
	for i := range 300 {
		v := versions[i%len(versions)]
		switch i % 3 {
		case 0:
			os.WriteFile(name+".tmp", []byte(v), 0o644)
			os.Rename(name+".tmp", name)
		case 1:
			os.Remove(name)
			os.WriteFile(name+".tmp", []byte(v), 0o644)
			os.Rename(name+".tmp", name)
		case 2:
			s.cache.sweep()
		}
	}
	close(stop)
	wg.Wait()
	select {
	case e := <-errs:
		t.Fatal(e)
	default:
	}
	s.cache.sweep()
	s.cache.sweep()
	if n := len(s.cache.plain); n != 0 {
		t.Fatalf("%d entries after two idle sweeps", n)
	}
}

// TestCacheStaysBounded: past its size the cache lets a file go for each
// new one, and serves the rest uncached when it may keep none.
func TestCacheStaysBounded(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.txt", i)), []byte{byte('0' + i)}, 0o644)
	}
	s, _ := New(Config{Maps: []string{"/s=" + dir}})
	s.cache.max = 2
	for i := range 5 {
		p := fmt.Sprintf("/s/%d.txt", i)
		if ctx, ok := get(s, p, ""); !ok || body(t, ctx) != string(rune('0'+i)) {
			t.Fatalf("%s: %v %q", p, ok, ctx.Response.Body())
		}
		if n := len(s.cache.plain); n > 2 {
			t.Fatalf("%d entries, at most 2 wanted", n)
		}
	}
	s.cache.max = 0
	s.cache.sweep()
	s.cache.sweep()
	if ctx, ok := get(s, "/s/1.txt", ""); !ok || body(t, ctx) != "1" || len(s.cache.plain) != 0 {
		t.Fatalf("with no room: %v %q, %d entries", ok, ctx.Response.Body(), len(s.cache.plain))
	}
}
