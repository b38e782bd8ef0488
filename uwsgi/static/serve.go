package static

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"
)

// ServeFile answers the request with the file at path (the static:
// routing action); s may be nil.
func (s *Server) ServeFile(ctx *fasthttp.RequestCtx, name string) (status int, size int64) {
	if s != nil && acceptsGzip(ctx) && s.gzipWanted(name) {
		if fd, err := openFD(name + ".gz"); err == nil {
			if gz, _, ok := openFile(fd, name); ok {
				gz.gzip = true
				return s.Serve(ctx, gz)
			}
		}
	}
	fd, err := openFD(name)
	if err != nil {
		return notFound(ctx)
	}
	file, _, ok := openFile(fd, name)
	if !ok {
		return notFound(ctx)
	}
	return s.Serve(ctx, file)
}

func acceptsGzip(ctx *fasthttp.RequestCtx) bool {
	return bytes.Contains(ctx.Request.Header.Peek("Accept-Encoding"), []byte("gzip"))
}

// Serve answers the request with an opened file and closes it; it returns
// the status and the body bytes sent. A small file is read into the
// response's reused buffer; a larger one is streamed from the file (a
// Body: with sendfile(2) where the connection can), so memory stays flat
// whatever the file's size.
func (s *Server) Serve(ctx *fasthttp.RequestCtx, file File) (status int, size int64) {
	resp := &ctx.Response
	var date [40]byte
	ctype, lastMod := "", []byte(nil)
	if file.e != nil {
		ctype, lastMod = file.e.ctype, file.e.lastMod
	} else {
		ctype, lastMod = contentType(file.name), appendHTTPDate(date[:0], time.Unix(file.mtime, 0))
	}
	if file.gzip {
		resp.Header.Set("Content-Encoding", "gzip")
		resp.Header.Add("Vary", "Accept-Encoding")
	}
	resp.Header.SetContentType(ctype)
	resp.Header.SetCanonical(hdrLastModified, lastMod) // keys already canonical: not normalized again
	resp.Header.SetCanonical(hdrAcceptRanges, valBytes)
	if s != nil && len(s.expires) > 0 {
		if at, ok := s.expiresFor(file.name, string(ctx.Path()), string(ctx.Request.Header.RequestURI()), ctype, file.mtime); ok {
			resp.Header.SetBytesV("Expires", appendHTTPDate(date[:0], at))
		}
	}
	if ims := ctx.Request.Header.Peek("If-Modified-Since"); len(ims) > 0 && notModified(ims, lastMod, file.mtime) {
		file.Close()
		resp.SetStatusCode(http.StatusNotModified)
		resp.SkipBody = true
		return http.StatusNotModified, 0
	}
	start, length, status := int64(0), file.size, http.StatusOK
	if r := ctx.Request.Header.Peek("Range"); len(r) > 0 {
		var ok bool
		if start, length, ok = parseRange(string(r), file.size); !ok {
			file.Close()
			resp.Header.Set("Content-Range", "bytes */"+strconv.FormatInt(file.size, 10))
			resp.SetStatusCode(http.StatusRequestedRangeNotSatisfiable)
			return http.StatusRequestedRangeNotSatisfiable, 0
		}
		if length != file.size {
			status = http.StatusPartialContent
			resp.Header.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(file.size, 10))
		}
	}
	resp.SetStatusCode(status)
	if ctx.IsHead() {
		file.Close()
		resp.Header.SetContentLength(int(length))
		resp.SkipBody = true
		return status, 0
	}
	sf := fileSender(ctx)
	if length <= smallFile && (length < sendfileMin || sf == nil) {
		err := readInto(resp, file.fd, start, length)
		file.Close()
		if err != nil {
			resp.ResetBody()
			resp.SetStatusCode(http.StatusInternalServerError)
			return http.StatusInternalServerError, 0
		}
		return status, length
	}
	b := bodyPool.Get().(*Body)
	b.file, b.off, b.n = file, start, length
	resp.SetBodyStream(b, int(length))
	if sf != nil {
		// The header goes out alone, held for the file (FileFollows), so
		// that the whole body is one sendfile(2): left in fasthttp's buffer,
		// the header would make bufio read the body's first 3.9 KiB into
		// it (a pread and a copy each way) before handing the rest over.
		sf.FileFollows()
		resp.ImmediateHeaderFlush = true
	}
	return status, length
}

var (
	hdrLastModified = []byte("Last-Modified")
	hdrAcceptRanges = []byte("Accept-Ranges")
	valBytes        = []byte("bytes")
)

// notModified reports whether an If-Modified-Since value is at or after
// the file's mtime; the common case, the client sending back the
// Last-Modified it got, is compared without parsing.
func notModified(ims, lastMod []byte, mtime int64) bool {
	if bytes.Equal(ims, lastMod) {
		return true
	}
	t, err := http.ParseTime(string(ims))
	return err == nil && mtime <= t.Unix()
}

// contentType is the type of a file by its name's extension.
func contentType(name string) string {
	if ctype := mime.TypeByExtension(filepath.Ext(name)); ctype != "" {
		return ctype
	}
	return "application/octet-stream"
}

// sender is a connection that sends a Body with sendfile(2): uwsgo's
// own plain sockets (TLS cannot). FileFollows tells it the next write is
// the header of such a body, to be held for it.
type sender interface {
	SendsFiles() bool
	FileFollows()
}

// fileSender returns the request's connection if it sends files, or nil.
func fileSender(ctx *fasthttp.RequestCtx) sender {
	if sf, ok := ctx.Conn().(sender); ok && sf.SendsFiles() {
		return sf
	}
	return nil
}

// sendfileMin is the size from which a body goes out with sendfile(2)
// where the connection can, rather than read into the response.
const sendfileMin = 8 << 10

// readInto reads length bytes of fd at start into the response body,
// reusing the body's buffer (pread: no seek, no allocation once warm).
func readInto(resp *fasthttp.Response, fd int, start, length int64) error {
	b := resp.SwapBody(nil)
	b = slices.Grow(b[:0], int(length))[:length]
	for off := 0; off < len(b); {
		n, err := unix.Pread(fd, b[off:], start+int64(off))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n == 0:
			return io.ErrUnexpectedEOF // the file shrank
		}
		off += n
	}
	resp.SwapBody(b)
	return nil
}

// smallFile is the size up to which a file is read whole into the
// response; larger ones are streamed with flat memory.
const smallFile = 64 << 10

// appendHTTPDate appends t as an HTTP date.
func appendHTTPDate(b []byte, t time.Time) []byte { return t.UTC().AppendFormat(b, http.TimeFormat) }

// Body is a byte range of an opened static file as a response body
// stream. fasthttp reads it; a connection that can sends it with
// sendfile(2) instead (FileRange, Advance). Closing it closes the file (or
// gives the cached descriptor back).
type Body struct {
	file   File
	off, n int64
}

var bodyPool = sync.Pool{New: func() any { return &Body{file: noFile} }}

// Read implements io.Reader (pread: the descriptor may be shared).
func (b *Body) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	for {
		n, err := unix.Pread(b.file.fd, p, b.off)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.ErrUnexpectedEOF // the file shrank
		}
		b.Advance(int64(n))
		return n, nil
	}
}

// FileRange returns the descriptor and the range still to send.
func (b *Body) FileRange() (fd int, off, n int64) { return b.file.fd, b.off, b.n }

// Advance records n bytes of the range sent by the caller.
func (b *Body) Advance(n int64) { b.off, b.n = b.off+n, b.n-n }

// Close implements io.Closer: fasthttp calls it once the response is
// written (or dropped).
func (b *Body) Close() error {
	if !b.file.Found() {
		return nil
	}
	b.file.Close()
	b.file = noFile
	bodyPool.Put(b)
	return nil
}

func notFound(ctx *fasthttp.RequestCtx) (int, int64) {
	ctx.Response.SetStatusCode(http.StatusNotFound)
	ctx.Response.SetBodyString("Not Found")
	return http.StatusNotFound, 9
}

// Forbidden answers 403, for a path that resolves out of its root.
func Forbidden(ctx *fasthttp.RequestCtx) (int, int64) {
	ctx.Response.SetStatusCode(http.StatusForbidden)
	ctx.Response.SetBodyString("Forbidden")
	return http.StatusForbidden, 9
}

// parseRange reads one "bytes=" range of a file of size bytes; several
// ranges get the whole file (allowed by RFC 9110).
func parseRange(h string, size int64) (start, length int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, true
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, size, true
	}
	if a == "" { // suffix: the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		n = min(n, size)
		return size - n, n, size > 0
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 || first >= size {
		return 0, 0, false
	}
	last := size - 1
	if b != "" {
		l, err := strconv.ParseInt(b, 10, 64)
		if err != nil || l < first {
			return 0, 0, false
		}
		last = min(l, size-1)
	}
	return first, last - first + 1, true
}

// gzipWanted reports whether the options allow a .gz sibling of file: as in
// uWSGI, a dir/prefix is a plain prefix of the file's path, an ext/suffix
// a plain suffix ("css" matches "a.css" and "a.scss"), and --static-gzip a
// regexp on it.
func (s *Server) gzipWanted(file string) bool {
	if s.gzipAll {
		return true
	}
	for _, d := range s.gzipDirs {
		if strings.HasPrefix(file, d) {
			return true
		}
	}
	for _, e := range s.gzipExts {
		if strings.HasSuffix(file, e) {
			return true
		}
	}
	for _, re := range s.gzipRE {
		if re.MatchString(file) {
			return true
		}
	}
	return false
}

// MayGzip reports whether a .gz sibling could be sent to this client.
func (s *Server) MayGzip(ctx *fasthttp.RequestCtx) bool {
	return (s.gzipAll || len(s.gzipDirs) > 0 || len(s.gzipExts) > 0 || len(s.gzipRE) > 0) && acceptsGzip(ctx)
}
