package reqlog

import (
	"sync/atomic"
	"time"
)

// ctimeCache holds the ctime(3) text of one second, shared by all
// goroutines: formatting a date is the costliest part of a log line.
type ctimeEntry struct {
	unix int64
	text [24]byte
}

var ctimeCache atomic.Pointer[ctimeEntry]

// appendCtime appends t in C's ctime format, local time, without the
// newline: "Wed Nov  4 09:05:01 2026".
func appendCtime(dst []byte, t time.Time) []byte {
	sec := t.Unix()
	if e := ctimeCache.Load(); e != nil && e.unix == sec {
		return append(dst, e.text[:]...)
	}
	e := &ctimeEntry{unix: sec}
	copy(e.text[:], t.Local().AppendFormat(e.text[:0], "Mon Jan _2 15:04:05 2006"))
	ctimeCache.Store(e)
	return append(dst, e.text[:]...)
}
