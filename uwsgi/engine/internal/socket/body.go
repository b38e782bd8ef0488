package socket

import (
	"io"

	"github.com/valyala/fasthttp"
)

// BodyGuard is the request body an HTTP socket's handler reads: fasthttp's
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
type BodyGuard struct {
	r     io.Reader
	Cl    int64 // Content-Length, or -1 for a chunked body
	Limit int64 // --limit-post for a chunked body; 0: none
	N     int64 // body bytes handed out
	Err   error // the first read error other than io.EOF
	eof   bool
	// The raw-byte meter, for chunked bodies: raw counts the bytes the
	// connection read during the guard's reads; while rawCap > 0 a read of
	// the connection stops there, and overrun records that it did.
	raw, rawCap int64
	Reads       int64
	slack       int64 // the read buffer: bytes read ahead of the parser
	overrun     bool
}

// BodyError is a request body refused by a limit: its StatusCode is the
// answer when nothing was sent yet (the bridge looks for that method).
type BodyError struct {
	Status int
	msg    string
}

func (e *BodyError) Error() string { return e.msg }

// StatusCode is the HTTP status the error calls for.
func (e *BodyError) StatusCode() int { return e.Status }

var (
	ErrBodyTooLarge  = &BodyError{fasthttp.StatusRequestEntityTooLarge, "request body over --limit-post"}
	ErrChunkOverhead = &BodyError{fasthttp.StatusBadRequest, "chunked body with too much framing for its data (chunk extensions)"}
)

// ChunkOverheadBase is how many bytes of framing a chunked body may carry
// beyond 16 a chunk and twice its data, as net/http allows.
const ChunkOverheadBase = 16 << 10

func (g *BodyGuard) Reset(r io.Reader, cl, limit, slack int64) {
	*g = BodyGuard{r: r, Cl: cl, slack: slack}
	if cl < 0 {
		g.Limit = limit
	}
}

// Read implements io.Reader.
func (g *BodyGuard) Read(p []byte) (int, error) {
	if g.Err != nil {
		return 0, g.Err
	}
	if g.eof {
		return 0, io.EOF
	}
	if g.Cl >= 0 {
		n, err := g.r.Read(p)
		g.N += int64(n)
		if err == io.EOF && g.N < g.Cl {
			err = io.ErrUnexpectedEOF
		}
		return n, g.note(err)
	}
	if g.Limit > 0 && int64(len(p)) > g.Limit-g.N+1 {
		p = p[:g.Limit-g.N+1] // one byte past the limit tells it is over
	}
	g.Reads++
	// What the connection may have read by the end of this call: the data
	// so far and this call's, the framing allowed so far, and the buffer's
	// read-ahead.
	g.rawCap = g.N + int64(len(p)) + ChunkOverheadBase + 16*g.Reads + 2*g.N + g.slack
	n, err := g.r.Read(p)
	g.rawCap = 0
	g.N += int64(n)
	switch {
	case g.overrun:
		err = ErrChunkOverhead
	case g.Limit > 0 && g.N > g.Limit:
		n -= int(g.N - g.Limit)
		g.N = g.Limit
		err = ErrBodyTooLarge
	}
	return n, g.note(err)
}

// note records the first error and the end of the body.
func (g *BodyGuard) note(err error) error {
	switch {
	case err == io.EOF:
		g.eof = true
	case err != nil:
		g.Err = err
	}
	return err
}

// clip shortens a raw read of the connection to the meter's cap; an empty
// result means the framing overran it.
func (g *BodyGuard) clip(p []byte) []byte {
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
