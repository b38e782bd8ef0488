package cache

import (
	"encoding/binary"
	"time"
)

// Get copies the value of key into a new slice; ok is false on a miss.
func (c *Cache) Get(key string) (val []byte, ok bool) {
	return c.GetAppend(nil, key)
}

// GetAppend appends the value of key to dst, so a caller reusing a buffer
// reads without allocating.
func (c *Cache) GetAppend(dst []byte, key string) ([]byte, bool) {
	dst, _, ok := c.GetInfo(dst, key)
	return dst, ok
}

// GetInfo is GetAppend that also reports the item's expiry (unix seconds,
// 0 = never), as the remote protocol's get answers it.
func (c *Cache) GetInfo(dst []byte, key string) ([]byte, int64, bool) {
	h := c.useHash(key)
	c.lock()
	idx := c.find(key, h)
	if idx == 0 {
		c.unlock()
		c.hdr.Miss.Add(1)
		return dst, 0, false
	}
	it := c.item(idx)
	dst = append(dst, c.value(it)...)
	expires := it.Expires
	it.Hits++
	c.touch(idx, it)
	c.unlock()
	c.hdr.Hits.Add(1)
	return dst, expires, true
}

// Exists reports whether key is in the cache (without counting a hit or
// touching its LRU position, as uWSGI).
func (c *Cache) Exists(key string) bool {
	h := c.useHash(key)
	c.lock()
	idx := c.find(key, h)
	c.unlock()
	return idx != 0
}

// Set stores key only if it is absent (ErrExists otherwise), as uWSGI's
// cache_set. ttl <= 0 never expires.
func (c *Cache) Set(key string, val []byte, ttl time.Duration) error {
	return c.store(key, val, expiresAt(ttl), false)
}

// Update stores key, creating or replacing it.
func (c *Cache) Update(key string, val []byte, ttl time.Duration) error {
	return c.store(key, val, expiresAt(ttl), true)
}

// SetAbs is Set or Update with an absolute expiry (unix seconds, 0 = never).
func (c *Cache) SetAbs(key string, val []byte, expires int64, update bool) error {
	return c.store(key, val, expires, update)
}

func (c *Cache) check(key string, vlen int) error {
	switch {
	case len(key) == 0 || vlen == 0:
		return ErrEmpty
	case uint64(len(key)) > c.spec.KeySize:
		return ErrKeyTooLarge
	case uint64(vlen) > c.maxVal:
		return ErrValueTooLarge
	}
	return nil
}

func (c *Cache) store(key string, val []byte, expires int64, update bool) error {
	if err := c.check(key, len(val)); err != nil {
		return err
	}
	h := c.useHash(key)
	c.lock()
	defer c.unlock()
	idx := c.find(key, h)
	switch {
	case idx == 0:
		idx = c.allocate(len(val))
		if idx == 0 {
			return ErrFull
		}
		c.fill(idx, key, h, val, expires)
	case !update:
		return ErrExists
	default:
		if !c.rewrite(idx, val, expires) {
			return ErrFull
		}
	}
	c.modified()
	return nil
}

// allocate finds a free slot (and, in bitmap mode, a run of blocks for n
// bytes) and returns the slot with FirstBlock set; 0 when the cache is
// full even after its on-full policy ran.
func (c *Cache) allocate(n int) uint64 {
	for try := 0; try < 2; try++ {
		if try == 1 && !c.onFull() {
			return 0
		}
		if c.hdr.FreeHead == 0 {
			continue
		}
		first := c.hdr.FreeHead
		if c.bitmap != nil {
			b, ok := c.findBlocks(c.blocksOf(uint64(n)))
			if !ok {
				continue
			}
			first = b
		}
		idx := c.popFree()
		c.item(idx).FirstBlock = first
		return idx
	}
	return 0
}

// fill writes a new item into slot idx and links it.
func (c *Cache) fill(idx uint64, key string, h uint32, val []byte, expires int64) {
	it := c.item(idx)
	it.State.Store(stateWriting)
	if c.bitmap != nil {
		c.markBlocks(it.FirstBlock, c.blocksOf(uint64(len(val))))
	}
	it.KeyLen = uint32(len(key))
	copy(c.keyOf(it), key)
	it.Hash = h
	it.ValLen = uint64(len(val))
	copy(c.value(it), val)
	it.Expires = expires
	it.Hits = 0
	c.hdr.Tick++
	it.Tick = c.hdr.Tick
	it.State.Store(stateValid)
	c.hashLink(idx, it)
	if c.spec.PurgeLRU {
		c.lruAdd(idx, it)
	}
	c.hdr.Count.Add(1)
	c.noteExpiry(expires)
}

// rewrite replaces the value of the item in slot idx. In bitmap mode the
// new value goes to a fresh run of blocks, found while the old run is
// still marked, as uWSGI does (so growing in place is refused when full).
func (c *Cache) rewrite(idx uint64, val []byte, expires int64) bool {
	it := c.item(idx)
	first, oldFirst, oldBlocks := it.FirstBlock, it.FirstBlock, c.blocksOf(it.ValLen)
	if c.bitmap != nil {
		b, ok := c.findBlocks(c.blocksOf(uint64(len(val))))
		if !ok {
			c.onFull()
			return false
		}
		first = b
		c.markBlocks(first, c.blocksOf(uint64(len(val))))
	}
	it.State.Store(stateWriting)
	it.FirstBlock = first
	it.ValLen = uint64(len(val))
	copy(c.value(it), val)
	it.Expires = expires
	it.State.Store(stateValid)
	if c.bitmap != nil {
		c.unmarkBlocks(oldFirst, oldBlocks)
	}
	c.touch(idx, it)
	c.noteExpiry(expires)
	return true
}

// Del removes key; ErrNotFound if it is absent.
func (c *Cache) Del(key string) error {
	h := c.useHash(key)
	c.lock()
	defer c.unlock()
	idx := c.find(key, h)
	if idx == 0 {
		return ErrNotFound
	}
	c.remove(idx)
	c.modified()
	return nil
}

// Clear removes every item.
func (c *Cache) Clear() {
	c.lock()
	defer c.unlock()
	for i := uint64(1); i < c.spec.Items; i++ {
		c.item(i).State.Store(stateFree)
	}
	c.rebuild()
	c.modified()
}

// Math operations on 64-bit counters, as uWSGI's cache_inc and friends: a
// missing key starts at math_initial; values are 8 bytes, little-endian.
const (
	opInc = iota
	opDec
	opMul
	opDiv
)

// Inc adds delta to the counter key and returns the new value.
func (c *Cache) Inc(key string, delta int64, ttl time.Duration) (int64, error) {
	return c.math(key, opInc, delta, ttl)
}

// Dec subtracts delta from the counter key and returns the new value.
func (c *Cache) Dec(key string, delta int64, ttl time.Duration) (int64, error) {
	return c.math(key, opDec, delta, ttl)
}

// Mul multiplies the counter key by factor.
func (c *Cache) Mul(key string, factor int64, ttl time.Duration) (int64, error) {
	return c.math(key, opMul, factor, ttl)
}

// Div divides the counter key by divisor (dividing by 0 gives 0, as uWSGI).
func (c *Cache) Div(key string, divisor int64, ttl time.Duration) (int64, error) {
	return c.math(key, opDiv, divisor, ttl)
}

// Num reads the counter key (0 and false on a miss).
func (c *Cache) Num(key string) (int64, bool, error) {
	var buf [8]byte
	v, ok := c.GetAppend(buf[:0], key)
	if !ok {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, true, ErrNotNumber
	}
	return int64(binary.LittleEndian.Uint64(v)), true, nil
}

func apply(op int, n, d int64) int64 {
	switch op {
	case opInc:
		return n + d
	case opDec:
		return n - d
	case opMul:
		return n * d
	}
	if d == 0 {
		return 0
	}
	return n / d
}

func (c *Cache) math(key string, op int, d int64, ttl time.Duration) (int64, error) {
	if err := c.check(key, 8); err != nil {
		return 0, err
	}
	h := c.useHash(key)
	c.lock()
	defer c.unlock()
	var buf [8]byte
	idx := c.find(key, h)
	if idx == 0 {
		n := apply(op, c.spec.MathInitial, d)
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		if idx = c.allocate(8); idx == 0 {
			return 0, ErrFull
		}
		c.fill(idx, key, h, buf[:], expiresAt(ttl))
		c.modified()
		return n, nil
	}
	it := c.item(idx)
	if it.ValLen != 8 {
		return 0, ErrNotNumber
	}
	v := c.value(it)
	n := apply(op, int64(binary.LittleEndian.Uint64(v)), d)
	binary.LittleEndian.PutUint64(buf[:], uint64(n))
	if !c.rewrite(idx, buf[:], it.Expires) {
		return 0, ErrFull
	}
	c.modified()
	return n, nil
}
