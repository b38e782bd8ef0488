package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
	"github.com/valyala/fasthttp"
)

// uconn is the pooled state of one uwsgi-socket connection: the packet
// buffer, the request context built from the vars, and the body reader.
type uconn struct {
	net.Conn
	raddr         net.TCPAddr
	buf           []byte
	n             int // bytes in buf
	hdr           proto.Header
	ctx           fasthttp.RequestCtx
	body          packetBody
	contentLength int64
	https         bool
	connHdr       []byte // the packet's HTTP_CONNECTION (see ClientConnection)
	vars, pktSize int
	hijacked      bool
	timeout       time.Duration
	bw            *bufio.Writer
	name          []byte
	wmu           sync.Mutex
	watch         uwatch
	extra         []byte // bytes in buf behind the request body (see Read)
}

var uconnPool = sync.Pool{New: func() any { return new(uconn) }}

func acquireUconn(c net.Conn, bufferSize int, timeout time.Duration) *uconn {
	uc := uconnPool.Get().(*uconn)
	uc.Conn = c
	uc.timeout = timeout
	if cap(uc.buf) < bufferSize+proto.HeaderSize {
		uc.buf = make([]byte, bufferSize+proto.HeaderSize)
	}
	uc.buf = uc.buf[:bufferSize+proto.HeaderSize]
	uc.n, uc.hijacked, uc.https, uc.connHdr = 0, false, false, nil
	return uc
}

func releaseUconn(uc *uconn) {
	uc.ctx.Request.Reset()
	uc.ctx.Response.Reset()
	uc.body = packetBody{}
	uc.Conn = nil
	uconnPool.Put(uc)
}

// RemoteAddr reports the client address nginx (or the router) gave in
// REMOTE_ADDR/REMOTE_PORT, not the proxy's.
func (uc *uconn) RemoteAddr() net.Addr { return &uc.raddr }

// readPacket reads the header and the vars block, waiting at most timeout
// in all. Bytes after the block are the start of the body.
func (uc *uconn) readPacket(timeout time.Duration) error {
	max := len(uc.buf) - proto.HeaderSize
	// One deadline for the whole packet: a client trickling a byte at a
	// time is cut at --socket-timeout too.
	_ = uc.Conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		if uc.n >= proto.HeaderSize {
			h, _ := proto.ParseHeader(uc.buf[:uc.n])
			uc.hdr = h
			if int(h.DataSize) > max {
				return fmt.Errorf("invalid request block size: %d (max %d)...skip", h.DataSize, max)
			}
			if uc.n >= proto.HeaderSize+int(h.DataSize) {
				return nil
			}
		}
		m, err := uc.Conn.Read(uc.buf[uc.n:])
		uc.n += m
		if err != nil {
			var ne net.Error
			switch {
			case uc.n == 0 && err == io.EOF:
				return io.EOF
			case err == io.EOF:
				return fmt.Errorf("uwsgi: %s closed the connection after %d bytes of an incomplete request packet", uc.Conn.RemoteAddr(), uc.n)
			case errors.As(err, &ne) && ne.Timeout():
				return fmt.Errorf("uwsgi: timeout reading the request packet from %s (%d bytes read)", uc.Conn.RemoteAddr(), uc.n)
			}
			return fmt.Errorf("uwsgi: reading the request packet from %s: %v (%d bytes read)", uc.Conn.RemoteAddr(), err, uc.n)
		}
	}
}

func (uc *uconn) block() []byte {
	return uc.buf[proto.HeaderSize : proto.HeaderSize+int(uc.hdr.DataSize)]
}

// buildRequest turns the vars into the fasthttp request the app sees.
func (uc *uconn) buildRequest(maxPairs int, logger fasthttp.Logger) error {
	ctx := &uc.ctx
	ctx.Init2(uc, logger, false)
	req := &ctx.Request
	req.Reset()
	var uri, pathInfo, query, proto_ []byte
	uc.contentLength = 0
	uc.raddr = net.TCPAddr{}
	pairs, err := proto.ForEachVar(uc.block(), maxPairs, func(k, v []byte) bool {
		uc.applyVar(req, k, v, &uri, &pathInfo, &query, &proto_)
		return true
	})
	if err != nil {
		return fmt.Errorf("uwsgi: invalid request from %s: %w", uc.Conn.RemoteAddr(), err)
	}
	uc.vars, uc.pktSize = 2*pairs, int(uc.hdr.DataSize)
	if len(uri) == 0 {
		uc.name = append(uc.name[:0], pathInfo...)
		if len(query) > 0 {
			uc.name = append(append(uc.name, '?'), query...)
		}
		uri = uc.name
	}
	if len(uri) == 0 {
		uri = slash
	}
	req.Header.SetRequestURIBytes(uri)
	if len(proto_) == 0 {
		proto_ = http10
	}
	req.Header.SetProtocolBytes(proto_)
	req.Header.SetContentLength(int(uc.contentLength))
	req.Header.SetConnectionClose()
	uc.body.Reset(uc)
	if uc.contentLength > 0 {
		req.SetBodyStream(&uc.body, int(uc.contentLength))
	}
	return nil
}

var (
	slash  = []byte("/")
	http10 = []byte("HTTP/1.0")
)

// applyVar maps one uwsgi var onto the request.
func (uc *uconn) applyVar(req *fasthttp.Request, k, v []byte, uri, pathInfo, query, protocol *[]byte) {
	switch string(k) {
	case "REQUEST_METHOD":
		req.Header.SetMethodBytes(v)
	case "REQUEST_URI":
		*uri = v
	case "PATH_INFO":
		*pathInfo = v
	case "QUERY_STRING":
		*query = v
	case "SERVER_PROTOCOL":
		*protocol = v
	case "HTTP_HOST":
		req.Header.SetHostBytes(v)
	case "CONTENT_TYPE":
		if len(v) > 0 {
			req.Header.SetContentTypeBytes(v)
		}
	case "CONTENT_LENGTH":
		uc.contentLength = leadingDigits(v)
	case "REMOTE_ADDR":
		if uc.raddr.IP == nil {
			if ip, err := netip.ParseAddr(string(v)); err == nil {
				uc.raddr.IP = ip.AsSlice()
			}
		}
	case "REMOTE_PORT":
		uc.raddr.Port, _ = strconv.Atoi(string(v))
	case "HTTPS":
		uc.https = len(v) > 0 && (v[0] == 'o' || v[0] == 'O' || v[0] == '1')
	case "UWSGI_SCHEME":
		uc.https = string(v) == "https"
	default:
		if len(k) > 5 && string(k[:5]) == "HTTP_" {
			if string(k) == "HTTP_CONNECTION" {
				uc.connHdr = v
			}
			uc.name = headerName(uc.name[:0], k[5:])
			req.Header.AddBytesKV(uc.name, v)
		}
	}
}

// leadingDigits reads CONTENT_LENGTH as uWSGI does: digits until the first non-digit.
func leadingDigits(v []byte) int64 {
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' || n > 1<<50 {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// headerName turns X_FORWARDED_FOR into X-Forwarded-For.
func headerName(dst, k []byte) []byte {
	upper := true
	for _, c := range k {
		switch {
		case c == '_':
			c, upper = '-', true
		case upper:
			upper = false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendVars implements bridge.VarsSource: the vars as received.
func (uc *uconn) AppendVars(_ *fasthttp.RequestCtx, m map[string]string) {
	_, _ = proto.ForEachVar(uc.block(), 1<<16, func(k, v []byte) bool {
		m[string(k)] = string(v)
		return true
	})
}

// ClientConnection is the client's Connection header (the packet's
// HTTP_CONNECTION), nil without one: the request header's close is set
// for every uwsgi request, since the connection ends with it.
func (uc *uconn) ClientConnection() []byte { return uc.connHdr }

// IsHTTPS reports whether the front end said the client used TLS.
func (uc *uconn) IsHTTPS() bool { return uc.https }

// writeResponse sends the buffered response as raw HTTP, as uWSGI does.
func (uc *uconn) writeResponse() {
	resp := &uc.ctx.Response
	resp.Header.SetProtocol(uc.ctx.Request.Header.Protocol())
	// The connection ends with this response: say so, for the routers that
	// pass the headers on to a keep-alive client (uWSGI's HTTP router).
	resp.SetConnectionClose()
	if uc.bw == nil {
		uc.bw = bufio.NewWriterSize(uc.Conn, 4096)
	} else {
		uc.bw.Reset(uc.Conn)
	}
	_ = uc.Conn.SetWriteDeadline(time.Time{})
	socket.CorkLast(uc.Conn)
	if err := resp.Write(uc.bw); err == nil {
		_ = uc.bw.Flush()
	}
	uc.bw.Reset(nil)
}

// close ends the connection without a reset: unread request bytes are
// drained (bounded in time) after our side is shut.
func (uc *uconn) finish() {
	if uc.hijacked {
		return
	}
	if !uc.body.Done() {
		_, isTCP := uc.Conn.RemoteAddr().(*net.TCPAddr)
		if hc, ok := uc.Conn.(interface{ CloseWrite() error }); ok && isTCP {
			_ = hc.CloseWrite()
			_ = uc.Conn.SetReadDeadline(time.Now().Add(time.Second))
			_, _ = io.CopyN(io.Discard, uc.Conn, 1<<20)
		}
	}
	_ = uc.Conn.Close()
}

// Read implements net.Conn for a handler that hijacked the connection:
// first the bytes that came in the buffer behind the packet (the unread
// body, then whatever the client sent after it), then the connection.
func (uc *uconn) Read(p []byte) (int, error) {
	if b := &uc.body; len(b.pre) > 0 {
		n := copy(p, b.pre)
		b.pre = b.pre[n:]
		b.remain -= int64(n)
		return n, nil
	}
	if len(uc.extra) > 0 {
		n := copy(p, uc.extra)
		uc.extra = uc.extra[n:]
		return n, nil
	}
	return uc.Conn.Read(p)
}

// packetBody reads the request body: first the bytes that came with the
// packet, then the connection, up to CONTENT_LENGTH.
type packetBody struct {
	uc     *uconn
	pre    []byte
	remain int64
	err    error // the read error that cut the body short, if any
}

func (b *packetBody) Reset(uc *uconn) {
	end := proto.HeaderSize + int(uc.hdr.DataSize)
	b.uc = uc
	b.pre = uc.buf[end:uc.n]
	b.remain = uc.contentLength
	uc.extra = nil
	if int64(len(b.pre)) > b.remain {
		uc.extra = b.pre[b.remain:]
		b.pre = b.pre[:b.remain]
	}
}

func (b *packetBody) Done() bool { return b.uc == nil || b.remain <= 0 }

// Read implements io.Reader.
func (b *packetBody) Read(p []byte) (int, error) {
	if b.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	var n int
	var err error
	if len(b.pre) > 0 {
		n = copy(p, b.pre)
		b.pre = b.pre[n:]
	} else {
		_ = b.uc.Conn.SetReadDeadline(time.Now().Add(b.uc.timeout))
		n, err = b.uc.Conn.Read(p)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	b.remain -= int64(n)
	if b.remain == 0 && err == nil {
		return n, nil
	}
	if err != nil && b.err == nil {
		b.err = err
	}
	return n, err
}

// WrappedConn is the connection c reads from (see socket's wrapped).
func (c *uconn) WrappedConn() net.Conn { return c.Conn }
