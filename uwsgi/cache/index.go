package cache

// The indexes, all under the lock: hash chains, the free-slot list, the
// LRU list and the block bitmap. rebuild.go recomputes all of them from
// the valid items.

// find returns the slot holding key, or 0. An item whose time has passed
// is removed on the way (every cache expires lazily; lazy_expire only
// turns the sweeper off).
func (c *Cache) find(key string, h uint32) uint64 {
	idx := uint64(c.hash[h%uint32(c.spec.HashSize)])
	for rounds := uint64(0); idx != 0 && rounds < c.spec.Items; rounds++ {
		it := c.item(idx)
		if it.Hash == h && int(it.KeyLen) == len(key) && string(c.keyOf(it)) == key {
			if it.Expires != 0 && !c.spec.NoExpire && it.Expires <= now() {
				c.remove(idx)
				return 0
			}
			return idx
		}
		idx = it.Next
	}
	return 0
}

func (c *Cache) hashLink(idx uint64, it *item) {
	b := &c.hash[it.Hash%uint32(c.spec.HashSize)]
	it.Prev, it.Next = 0, uint64(*b)
	if *b != 0 {
		c.item(uint64(*b)).Prev = idx
	}
	*b = uint32(idx)
}

func (c *Cache) hashUnlink(it *item) {
	if it.Prev != 0 {
		c.item(it.Prev).Next = it.Next
	} else {
		c.hash[it.Hash%uint32(c.spec.HashSize)] = uint32(it.Next)
	}
	if it.Next != 0 {
		c.item(it.Next).Prev = it.Prev
	}
}

// remove deletes the item in slot idx and frees its slot and blocks.
func (c *Cache) remove(idx uint64) {
	it := c.item(idx)
	it.State.Store(stateFree)
	c.hashUnlink(it)
	if c.spec.PurgeLRU {
		c.lruRemove(idx, it)
	}
	if c.bitmap != nil {
		c.unmarkBlocks(it.FirstBlock, c.blocksOf(it.ValLen))
	}
	it.KeyLen, it.ValLen, it.Expires, it.Hash = 0, 0, 0, 0
	c.pushFree(idx)
	c.hdr.Count.Add(^uint64(0))
}

func (c *Cache) pushFree(idx uint64) {
	it := c.item(idx)
	it.Prev, it.Next = 0, c.hdr.FreeHead
	c.hdr.FreeHead = idx
}

func (c *Cache) popFree() uint64 {
	idx := c.hdr.FreeHead
	c.hdr.FreeHead = c.item(idx).Next
	return idx
}

func (c *Cache) lruAdd(idx uint64, it *item) {
	it.LRUNext, it.LRUPrev = 0, c.hdr.LRUTail
	if c.hdr.LRUTail != 0 {
		c.item(c.hdr.LRUTail).LRUNext = idx
	} else {
		c.hdr.LRUHead = idx
	}
	c.hdr.LRUTail = idx
}

func (c *Cache) lruRemove(idx uint64, it *item) {
	if it.LRUNext != 0 {
		c.item(it.LRUNext).LRUPrev = it.LRUPrev
	} else {
		c.hdr.LRUTail = it.LRUPrev
	}
	if it.LRUPrev != 0 {
		c.item(it.LRUPrev).LRUNext = it.LRUNext
	} else {
		c.hdr.LRUHead = it.LRUNext
	}
	it.LRUNext, it.LRUPrev = 0, 0
}

// noteExpiry keeps NextScan at the earliest expiry, for the sweeper.
func (c *Cache) noteExpiry(expires int64) {
	if expires == 0 {
		return
	}
	if ns := c.hdr.NextScan.Load(); ns == 0 || ns > expires {
		c.hdr.NextScan.Store(expires)
	}
}

// onFull runs the cache's full policy (purge_lru, sweep_on_full,
// clear_on_full) and reports whether it may have freed room.
func (c *Cache) onFull() bool {
	if !c.spec.IgnoreFull {
		if c.spec.PurgeLRU {
			c.log("LRU item will be purged from cache %q", c.spec.Name)
		} else {
			c.log("*** DANGER cache %q is FULL !!! ***", c.spec.Name)
		}
	}
	c.hdr.Full.Add(1)
	freed := false
	if c.spec.PurgeLRU && c.hdr.LRUHead != 0 {
		c.remove(c.hdr.LRUHead)
		freed = true
	}
	if c.spec.SweepOnFull > 0 {
		t := now()
		if c.hdr.LastFullSweep+int64(c.spec.SweepOnFull) <= t {
			c.hdr.LastFullSweep = t
			if c.sweepLocked(t) > 0 {
				return true
			}
		}
	}
	if c.spec.ClearOnFull {
		for i := uint64(1); i < c.spec.Items; i++ {
			if c.item(i).State.Load() == stateValid {
				c.remove(i)
			}
		}
		freed = true
	}
	return freed
}

// sweepLocked removes the items expired at t and recomputes NextScan.
func (c *Cache) sweepLocked(t int64) (freed int) {
	var next int64
	for i := uint64(1); i < c.spec.Items; i++ {
		it := c.item(i)
		if it.State.Load() != stateValid || it.Expires == 0 {
			continue
		}
		if it.Expires <= t {
			c.remove(i)
			freed++
		} else if next == 0 || it.Expires < next {
			next = it.Expires
		}
	}
	c.hdr.NextScan.Store(next)
	return freed
}

// Sweep removes the expired items if one is due, as uWSGI's sweeper
// thread does every --cache-expire-freq seconds; it returns how many.
func (c *Cache) Sweep() int {
	if !c.spec.Expires() {
		return 0
	}
	t := now()
	if ns := c.hdr.NextScan.Load(); ns == 0 || ns > t {
		return 0
	}
	c.lock()
	defer c.unlock()
	return c.sweepLocked(t)
}
