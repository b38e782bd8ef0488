package bridge

import (
	"io"

	"github.com/uwsgo/uwsgo/uwsgi/internal/bufcopy"
)

// ReadFrom implements io.ReaderFrom: fasthttp hands a response body stream
// to it once the header is written, and it passes the stream on to the
// wrapped connection when that takes one (uwsgo's sockets send static
// files with sendfile(2)); otherwise it copies.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return bufcopy.Copy(c.Conn, r)
}

// SendsFiles reports whether the wrapped connection sends file bodies
// with sendfile(2) (see ReadFrom).
func (c *Conn) SendsFiles() bool {
	sf, ok := c.Conn.(interface{ SendsFiles() bool })
	return ok && sf.SendsFiles()
}

// FileFollows passes on to the wrapped connection that the next write is
// the header of a file body (see SendsFiles).
func (c *Conn) FileFollows() {
	if ff, ok := c.Conn.(interface{ FileFollows() }); ok {
		ff.FileFollows()
	}
}
