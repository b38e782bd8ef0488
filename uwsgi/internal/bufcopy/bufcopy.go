// Package bufcopy copies a reader to a writer through pooled buffers. It is
// for the io.ReaderFrom of a connection type: io.Copy there would call the
// same ReadFrom again.
package bufcopy

import (
	"io"
	"sync"
)

var bufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Copy copies r to w until r's io.EOF, with Write calls only (never w's
// ReadFrom nor r's WriteTo), through a 32 KiB buffer taken from a pool.
func Copy(w io.Writer, r io.Reader) (int64, error) {
	bp := bufs.Get().(*[]byte)
	defer bufs.Put(bp)
	var total int64
	for {
		n, err := r.Read(*bp)
		if n > 0 {
			m, werr := w.Write((*bp)[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
