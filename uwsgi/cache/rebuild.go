package cache

import "sort"

// rebuild recomputes every index (hash chains, free list, LRU list,
// bitmap, item count, next expiry) from the item slots, and drops any slot
// that is not a complete, consistent item: one a dead process was writing,
// one whose key does not hash to its recorded hash, whose blocks are out
// of range or overlap an earlier item's, or whose key is a duplicate. It
// runs under the lock, on a new cache, on a store file reopened, and when
// the lock was taken from a dead holder. It returns the items kept.
func (c *Cache) rebuild() int {
	clear(c.hash)
	clear(c.bitmap)
	h := c.hdr
	h.FreeHead, h.LRUHead, h.LRUTail, h.BitmapPos = 0, 0, 0, 0
	h.NextScan.Store(0)
	var kept []uint64
	var count uint64
	for i := c.spec.Items - 1; i >= 1; i-- {
		it := c.item(i)
		if !c.intact(i, it) {
			it.State.Store(stateFree)
			it.KeyLen, it.ValLen, it.Expires, it.Hash = 0, 0, 0, 0
			it.LRUNext, it.LRUPrev = 0, 0
			c.pushFree(i)
			continue
		}
		if c.bitmap != nil {
			c.markBlocks(it.FirstBlock, c.blocksOf(it.ValLen))
		}
		c.hashLink(i, it)
		c.noteExpiry(it.Expires)
		kept = append(kept, i)
		count++
	}
	h.Count.Store(count)
	h.BitmapPos = 0
	if c.spec.PurgeLRU {
		sort.Slice(kept, func(a, b int) bool { return c.item(kept[a]).Tick < c.item(kept[b]).Tick })
		for _, i := range kept {
			c.lruAdd(i, c.item(i))
		}
	}
	return len(kept)
}

// intact reports whether slot i holds an item rebuild may keep; it must be
// called before the slot is indexed (duplicates are looked up in the
// chains built so far).
func (c *Cache) intact(i uint64, it *item) bool {
	if it.State.Load() != stateValid || it.KeyLen == 0 || uint64(it.KeyLen) > c.spec.KeySize ||
		it.ValLen == 0 || it.ValLen > c.maxVal {
		return false
	}
	key := string(c.keyOf(it))
	if c.useHash(key) != it.Hash {
		return false
	}
	if c.bitmap == nil {
		if it.FirstBlock != i {
			return false
		}
	} else {
		n := c.blocksOf(it.ValLen)
		if it.FirstBlock >= c.spec.Blocks || it.FirstBlock+n > c.spec.Blocks {
			return false
		}
		for b := it.FirstBlock; b < it.FirstBlock+n; b++ {
			if c.blockUsed(b) {
				return false
			}
		}
	}
	return c.findNoExpire(key, it.Hash) == 0
}

// findNoExpire looks a key up without removing expired items.
func (c *Cache) findNoExpire(key string, h uint32) uint64 {
	idx := uint64(c.hash[h%uint32(c.spec.HashSize)])
	for idx != 0 {
		it := c.item(idx)
		if it.Hash == h && string(c.keyOf(it)) == key {
			return idx
		}
		idx = it.Next
	}
	return 0
}
