// Package cache is uWSGI's caching framework: named key/value caches in
// shared memory that every worker process of an instance maps, so a value
// one worker stores is seen by all of them.
//
// The master creates each cache (Create) from its Spec, in anonymous
// memory or, with store=, in a file that survives restarts; workers map
// the same memory (Attach). One cross-process lock guards a cache; a
// process killed while holding it does not wedge the others (see lock.go).
package cache

import (
	"errors"
	"fmt"
	"github.com/uwsgo/uwsgo/uwsgi/internal/plock"
	"os"
	"sync"
	"time"
	"unsafe"
)

// Errors returned by cache operations.
var (
	ErrNotFound      = errors.New("uwsgi: cache key not found")
	ErrExists        = errors.New("uwsgi: cache key already exists")
	ErrFull          = errors.New("uwsgi: cache is full")
	ErrValueTooLarge = errors.New("uwsgi: cache value too large")
	ErrKeyTooLarge   = errors.New("uwsgi: cache key too large")
	ErrEmpty         = errors.New("uwsgi: cache keys and values must not be empty")
	ErrNotNumber     = errors.New("uwsgi: cache value is not a 64-bit number")
)

// Cache is one named cache mapped into this process.
type Cache struct {
	spec    Spec
	lay     layout
	mem     []byte
	file    *os.File
	hdr     *header
	hash    []uint32
	bitmap  []byte
	pid     uint32
	mu      sync.Mutex // one goroutine of this process on the shared lock
	logf    func(format string, args ...any)
	maxVal  uint64
	useHash func(string) uint32
}

// Spec is the cache's configuration.
func (c *Cache) Spec() Spec { return c.spec }

// Name is the cache's name.
func (c *Cache) Name() string { return c.spec.Name }

// File is the shared memory's file, for passing it to a worker.
func (c *Cache) File() *os.File { return c.file }

// MaxValue is the largest value the cache accepts.
func (c *Cache) MaxValue() uint64 { return c.maxVal }

// SetLogger sets where the cache logs ("cache is FULL"); nil: stderr.
func (c *Cache) SetLogger(logf func(format string, args ...any)) { c.logf = logf }

func (c *Cache) log(format string, args ...any) {
	if c.logf != nil {
		c.logf(format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func newCache(sp Spec, f *os.File, mem []byte) *Cache {
	c := &Cache{spec: sp, lay: layoutOf(&sp), mem: mem, file: f, pid: uint32(os.Getpid())}
	c.hdr = (*header)(unsafe.Pointer(&mem[0]))
	c.hash = unsafe.Slice((*uint32)(unsafe.Pointer(&mem[c.lay.hashOff])), sp.HashSize)
	if sp.Bitmap {
		c.bitmap = mem[c.lay.bitmapOff : c.lay.bitmapOff+c.lay.bitmapLen]
	}
	c.maxVal = sp.MaxValue()
	c.useHash = djb33x
	if sp.Hash == "murmur2" {
		c.useHash = murmur2
	}
	return c
}

func (c *Cache) item(i uint64) *item {
	return (*item)(unsafe.Pointer(&c.mem[c.lay.itemOff+i*c.lay.itemStride]))
}

func (c *Cache) keyOf(it *item) []byte {
	p := unsafe.Add(unsafe.Pointer(it), itemHead)
	return unsafe.Slice((*byte)(p), c.spec.KeySize)[:it.KeyLen]
}

func (c *Cache) blocksOf(n uint64) uint64 {
	return max(1, (n+c.spec.BlockSize-1)/c.spec.BlockSize)
}

func (c *Cache) value(it *item) []byte {
	off := c.lay.dataOff + it.FirstBlock*c.spec.BlockSize
	return c.mem[off : off+it.ValLen]
}

// lock takes the cache for this goroutine; a lock taken from a dead holder
// is repaired before it is used.
func (c *Cache) lock() {
	c.mu.Lock()
	if dead := plock.Lock(&c.hdr.Lock, c.pid); dead != 0 {
		c.log("cache %q: pid %d died holding the lock; taken over by pid %d, rebuilt %d items", c.spec.Name, dead, c.pid, c.rebuild())
	}
}

func (c *Cache) unlock() {
	plock.Unlock(&c.hdr.Lock)
	c.mu.Unlock()
}

// RecoverFrom takes the lock back if the process pid (which must be dead:
// the master calls it after reaping a worker) held it, and repairs the
// cache. It reports whether pid held the lock.
//
// It never waits: if a goroutine of this process is already waiting for
// the lock, that waiter takes it from the dead holder itself.
func (c *Cache) RecoverFrom(pid int) bool {
	if !c.mu.TryLock() {
		return false
	}
	defer c.mu.Unlock()
	if pid <= 0 || !plock.TakeFrom(&c.hdr.Lock, uint32(pid), c.pid) {
		return false
	}
	n := c.rebuild()
	plock.Unlock(&c.hdr.Lock)
	c.log("cache %q: worker pid %d died holding the lock; rebuilt %d items", c.spec.Name, pid, n)
	return true
}

// now is the clock of expiries, in unix seconds (tests replace it).
var now = func() int64 { return time.Now().Unix() }

// expiresAt turns a time to live into an absolute unix time (0 = never),
// rounding up to whole seconds as uWSGI counts them.
func expiresAt(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now() + int64((ttl+time.Second-1)/time.Second)
}

func (c *Cache) touch(idx uint64, it *item) {
	c.hdr.Tick++
	it.Tick = c.hdr.Tick
	if c.spec.PurgeLRU {
		c.lruRemove(idx, it)
		c.lruAdd(idx, it)
	}
}

func (c *Cache) modified() {
	if c.spec.LastMod {
		c.hdr.LastModified.Store(now())
	}
}

// Stats is a snapshot of a cache's counters.
type Stats struct {
	Items, Hits, Miss, Full uint64
	LastModified            int64
	LockHolder              int // pid holding the lock now, 0 = free
}

// Stats reads the counters without taking the lock.
func (c *Cache) Stats() Stats {
	return Stats{
		Items: c.hdr.Count.Load(), Hits: c.hdr.Hits.Load(), Miss: c.hdr.Miss.Load(),
		Full: c.hdr.Full.Load(), LastModified: c.hdr.LastModified.Load(),
		LockHolder: int(plock.Holder(&c.hdr.Lock)),
	}
}
