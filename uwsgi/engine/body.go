package engine

import (
	"io"

	"github.com/valyala/fasthttp"
)

// bodyGuard is the request body an HTTP socket's handler reads: fasthttp's
// body stream with the checks fasthttp leaves out.
//
//   - A body shorter than its Content-Length fails with
//     io.ErrUnexpectedEOF (fasthttp's request stream reports a plain
//     io.EOF once it has pre-read its first 8 KiB).
//   - A chunked body fails past --limit-post (decoded bytes), with a
//     bodyError asking for 413; it never hands out more than the limit.
//   - Chunk framing (chunk-size lines and their extensions, trailers) may
//     not outgrow the data it carries, by net/http's rule (CVE-2023-39326):
//     16 KiB, plus 16 bytes a chunk and twice the data. The guard meters the
//     connection's raw bytes while it reads (drainConn.Read calls clip and
//     count), since fasthttp's chunk parser reads size lines unbounded.
//
// One lives in each drainConn and serves the connection's requests in turn.
type bodyGuard struct {
	r     io.Reader
	cl    int64 // Content-Length, or -1 for a chunked body
	limit int64 // --limit-post for a chunked body; 0: none
	n     int64 // body bytes handed out
	err   error // the first read error other than io.EOF
	eof   bool
	// The raw-byte meter, for chunked bodies: raw counts the bytes the
	// connection read during the guard's reads; while rawCap > 0 a read of
	// the connection stops there, and overrun records that it did.
	raw, rawCap int64
	reads       int64
	slack       int64 // the read buffer: bytes read ahead of the parser
	overrun     bool
}

// bodyError is a request body refused by a limit: its StatusCode is the
// answer when nothing was sent yet (the bridge looks for that method).
type bodyError struct {
	status int
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// StatusCode is the HTTP status the error calls for.
func (e *bodyError) StatusCode() int { return e.status }

var (
	errBodyTooLarge  = &bodyError{fasthttp.StatusRequestEntityTooLarge, "request body over --limit-post"}
	errChunkOverhead = &bodyError{fasthttp.StatusBadRequest, "chunked body with too much framing for its data (chunk extensions)"}
)

// chunkOverheadBase is how many bytes of framing a chunked body may carry
// beyond 16 a chunk and twice its data, as net/http allows.
const chunkOverheadBase = 16 << 10

func (g *bodyGuard) reset(r io.Reader, cl, limit, slack int64) {
	*g = bodyGuard{r: r, cl: cl, slack: slack}
	if cl < 0 {
		g.limit = limit
	}
}

// Read implements io.Reader.
func (g *bodyGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.eof {
		return 0, io.EOF
	}
	if g.cl >= 0 {
		n, err := g.r.Read(p)
		g.n += int64(n)
		if err == io.EOF && g.n < g.cl {
			err = io.ErrUnexpectedEOF
		}
		return n, g.note(err)
	}
	if g.limit > 0 && int64(len(p)) > g.limit-g.n+1 {
		p = p[:g.limit-g.n+1] // one byte past the limit tells it is over
	}
	g.reads++
	// What the connection may have read by the end of this call: the data
	// so far and this call's, the framing allowed so far, and the buffer's
	// read-ahead.
	g.rawCap = g.n + int64(len(p)) + chunkOverheadBase + 16*g.reads + 2*g.n + g.slack
	n, err := g.r.Read(p)
	g.rawCap = 0
	g.n += int64(n)
	switch {
	case g.overrun:
		err = errChunkOverhead
	case g.limit > 0 && g.n > g.limit:
		n -= int(g.n - g.limit)
		g.n = g.limit
		err = errBodyTooLarge
	}
	return n, g.note(err)
}

// note records the first error and the end of the body.
func (g *bodyGuard) note(err error) error {
	switch {
	case err == io.EOF:
		g.eof = true
	case err != nil:
		g.err = err
	}
	return err
}

// clip shortens a raw read of the connection to the meter's cap; an empty
// result means the framing overran it.
func (g *bodyGuard) clip(p []byte) []byte {
	left := g.rawCap - g.raw
	if left <= 0 {
		g.overrun = true
		return p[:0]
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	return p
}
