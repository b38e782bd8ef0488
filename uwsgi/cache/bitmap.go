package cache

// Bitmap mode: a value takes a run of contiguous blocks; bit i of the
// bitmap (most significant bit first in each byte, as uWSGI) marks block i
// as used. A search starts where the last one ended and wraps around once,
// never across the end of the map.

func (c *Cache) blockUsed(b uint64) bool { return c.bitmap[b/8]&(0x80>>(b%8)) != 0 }

func (c *Cache) findBlocks(need uint64) (uint64, bool) {
	blocks := c.spec.Blocks
	if need > blocks {
		return 0, false
	}
	start := c.hdr.BitmapPos
	if start >= blocks {
		start = 0
	}
	if b, ok := c.scanBlocks(start, blocks, need); ok {
		return b, true
	}
	return c.scanBlocks(0, min(start+need-1, blocks), need)
}

func (c *Cache) scanBlocks(from, to, need uint64) (uint64, bool) {
	run := uint64(0)
	for b := from; b < to; b++ {
		if c.blockUsed(b) {
			run = 0
			continue
		}
		run++
		if run == need {
			return b + 1 - need, true
		}
	}
	return 0, false
}

func (c *Cache) markBlocks(first, n uint64) {
	for b := first; b < first+n; b++ {
		c.bitmap[b/8] |= 0x80 >> (b % 8)
	}
	c.hdr.BitmapPos = first + n
	if c.hdr.BitmapPos >= c.spec.Blocks {
		c.hdr.BitmapPos = 0
	}
}

func (c *Cache) unmarkBlocks(first, n uint64) {
	for b := first; b < first+n && b < c.spec.Blocks; b++ {
		c.bitmap[b/8] &^= 0x80 >> (b % 8)
	}
}
