package static

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// fdCache keeps the open descriptors of the files served lately, keyed by
// request path, with what their responses need ready (content type,
// Last-Modified): a hit costs one fstat instead of openat2, fstat and
// close, and formats nothing.
//
// Freshness: every hit fstats the cached descriptor, and any change of
// size, mtime, ctime or link count (a write, a truncate, a chmod, the file
// deleted or replaced by a rename) drops the entry: the path is opened
// again, so a change to the file is seen by the next request. What a
// descriptor cannot tell, the path now leading to another file (a symlink
// or a directory swapped, a file appearing in an earlier mount), is checked
// by resolving the path again at most once a second per entry. Entries not
// used for a second are closed, so a deleted file's space is not held.
type fdCache struct {
	mu        sync.RWMutex
	plain, gz map[string]*entry // by request path; gz: the client takes gzip
	sweeping  bool              // a sweep is scheduled (mu held)
	max       int               // entries at most
}

// maxEntries bounds the descriptors a Server keeps open, and so does a
// quarter of the process's descriptor limit.
const maxEntries = 1024

// recheck is how often an entry's path is resolved again.
const recheck = time.Second

// entry is one cached file. The cache holds one reference while the entry
// is in its table, and each request using it one more; the descriptor is
// closed when the last goes.
type entry struct {
	refs    atomic.Int32
	file    File // the descriptor and what it was opened as
	st      statKey
	ctype   string
	lastMod []byte       // the Last-Modified value
	checked atomic.Int64 // when the path was last resolved (clock)
	used    atomic.Bool  // hit since the last sweep
}

// statKey is what a change to a file alters.
type statKey struct {
	dev, ino, nlink uint64
	size            int64
	mtim, ctim      unix.Timespec
}

func keyOf(st *unix.Stat_t) statKey {
	return statKey{dev: uint64(st.Dev), ino: uint64(st.Ino), nlink: uint64(st.Nlink), size: st.Size, mtim: st.Mtim, ctim: st.Ctim}
}

var epoch = time.Now()

// clock is a monotonic reading in nanoseconds.
func clock() int64 { return int64(time.Since(epoch)) }

func newCache() *fdCache {
	c := &fdCache{plain: map[string]*entry{}, gz: map[string]*entry{}, max: maxEntries}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && lim.Cur/4 < uint64(c.max) {
		c.max = int(lim.Cur / 4)
	}
	return c
}

func (c *fdCache) table(gz bool) map[string]*entry {
	if gz {
		return c.gz
	}
	return c.plain
}

// lookup returns the entry for p with a reference taken, or nil.
func (c *fdCache) lookup(p string, gz bool) *entry {
	c.mu.RLock()
	e := c.table(gz)[p]
	if e != nil {
		e.refs.Add(1)
	}
	c.mu.RUnlock()
	return e
}

// add caches f (just opened for p) and returns it as the cache's file; f
// is returned as it is when it cannot be stat'ed.
func (c *fdCache) add(p string, gz bool, f File) File {
	var st unix.Stat_t
	if err := unix.Fstat(f.fd, &st); err != nil {
		return f
	}
	e := &entry{file: f, st: keyOf(&st), ctype: contentType(f.name), lastMod: appendHTTPDate(nil, time.Unix(f.mtime, 0))}
	e.file.size, e.file.mtime = st.Size, st.Mtim.Sec
	e.refs.Store(2) // the table's and this request's
	e.checked.Store(clock())
	e.used.Store(true)
	c.mu.Lock()
	t := c.table(gz)
	if old := t[p]; old != nil { // another request opened it meanwhile
		delete(t, p)
		old.release()
	}
	if len(c.plain)+len(c.gz) >= c.max {
		if c.max == 0 {
			c.mu.Unlock()
			return f
		}
		for k, v := range t { // one, at random
			delete(t, k)
			v.release()
			break
		}
	}
	t[strings.Clone(p)] = e // p may be the request's bytes
	if !c.sweeping {
		c.sweeping = true
		time.AfterFunc(recheck, c.sweep)
	}
	c.mu.Unlock()
	return e.handle()
}

// drop removes e from the table (if still there).
func (c *fdCache) drop(p string, gz bool, e *entry) {
	c.mu.Lock()
	if t := c.table(gz); t[p] == e {
		delete(t, p)
		e.release()
	}
	c.mu.Unlock()
}

// sweep closes the entries not used since the last sweep, and runs again
// while any is left.
func (c *fdCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range []map[string]*entry{c.plain, c.gz} {
		for k, e := range t {
			if !e.used.Swap(false) {
				delete(t, k)
				e.release()
			}
		}
	}
	if len(c.plain)+len(c.gz) == 0 {
		c.sweeping = false
		return
	}
	time.AfterFunc(recheck, c.sweep)
}

// release drops one reference; the last closes the descriptor.
func (e *entry) release() {
	if e.refs.Add(-1) == 0 {
		unix.Close(e.file.fd)
	}
}

// handle is the File a request serves from e (its reference taken).
func (e *entry) handle() File {
	f := e.file
	f.e = e
	return f
}

// fresh reports whether e still is what path p serves: the descriptor's
// file unchanged, and (at most once a second) the path still leading to
// it.
func (s *Server) fresh(e *entry, p string, gz bool) bool {
	var st unix.Stat_t
	if err := unix.Fstat(e.file.fd, &st); err != nil || keyOf(&st) != e.st || st.Nlink == 0 {
		return false
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	now := clock()
	last := e.checked.Load()
	if now-last < int64(recheck) || !e.checked.CompareAndSwap(last, now) {
		return true // checked lately, or another request checks it now
	}
	f, _ := s.openPath(p, gz)
	if !f.Found() {
		return false
	}
	defer f.Close()
	err := unix.Fstat(f.fd, &st)
	k := keyOf(&st)
	return err == nil && k.dev == e.st.dev && k.ino == e.st.ino && f.gzip == e.file.gzip && f.name == e.file.name
}
