package static

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func testServer(t testing.TB) (*Server, string) {
	dir := t.TempDir()
	body := strings.Repeat(".rule { color: #123456; }\n", 630) // 16 KiB
	if err := os.WriteFile(filepath.Join(dir, "a.css"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Maps: []string{"/static=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	return s, body
}

func get(s *Server, path, rangeHdr string) (*fasthttp.RequestCtx, bool) {
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.SetRequestURI(path)
	if rangeHdr != "" {
		ctx.Request.Header.Set("Range", rangeHdr)
	}
	f, _ := s.Open(string(ctx.Path()), false)
	if !f.Found() {
		return ctx, false
	}
	s.Serve(ctx, f)
	return ctx, true
}

func TestServeReadsSmallFilesWhole(t *testing.T) {
	s, body := testServer(t)
	ctx, ok := get(s, "/static/a.css", "")
	if !ok || string(ctx.Response.Body()) != body || ctx.Response.StatusCode() != 200 {
		t.Fatalf("whole file: found %v, status %d, %d bytes", ok, ctx.Response.StatusCode(), len(ctx.Response.Body()))
	}
	if ct := string(ctx.Response.Header.ContentType()); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("content type %q", ct)
	}
	if lm := string(ctx.Response.Header.Peek("Last-Modified")); !strings.HasSuffix(lm, " GMT") {
		t.Errorf("Last-Modified %q", lm)
	}
	ctx, _ = get(s, "/static/a.css", "bytes=10-19")
	if got := string(ctx.Response.Body()); got != body[10:20] || ctx.Response.StatusCode() != 206 {
		t.Fatalf("range: %d %q", ctx.Response.StatusCode(), got)
	}
	ctx, ok = get(s, "/static/empty.txt", "")
	if !ok || len(ctx.Response.Body()) != 0 || ctx.Response.StatusCode() != 200 {
		t.Fatalf("empty file: %v %d %q", ok, ctx.Response.StatusCode(), ctx.Response.Body())
	}
	if _, ok := get(s, "/static/missing", ""); ok {
		t.Fatal("a missing file was found")
	}
}

func BenchmarkServeSmallFile(b *testing.B) {
	s, _ := testServer(b)
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.SetRequestURI("/static/a.css")
	b.ReportAllocs()
	for range b.N {
		ctx.Response.Reset()
		f, _ := s.Open("/static/a.css", false)
		s.Serve(ctx, f)
	}
}
