package cache

import (
	"sync/atomic"
	"unsafe"
)

// The shared memory of one cache, in order: the header, the hash table
// (HashSize bucket heads, item indexes), the item slots (Items of them,
// slot 0 unused), the block bitmap (bitmap mode only) and the data blocks.
// Every process maps the same bytes; all of it but the header's counters
// is read and written under the cache lock only.
const (
	headerSize  = 256
	itemHead    = int(unsafe.Sizeof(item{}))
	layoutMagic = "UWSGOC1\x00"
	version     = 1
)

// Item states. A slot is written in the order free → writing → valid, and
// a recovery (after a lock holder died) keeps only valid slots.
const (
	stateFree uint32 = iota
	stateWriting
	stateValid
)

// Header flags recorded in the layout.
const flagBitmap = 1

// header is the first bytes of the shared memory.
type header struct {
	Magic    [8]byte
	Version  uint32
	Lock     atomic.Uint32 // holder's pid, and a bit while someone waits (package plock)
	Items    uint64
	Blocks   uint64
	BlockSz  uint64
	KeySize  uint64
	HashSize uint64
	Flags    uint64

	// Counters, read by the stats without the lock.
	Count        atomic.Uint64
	Hits         atomic.Uint64
	Miss         atomic.Uint64
	Full         atomic.Uint64
	LastModified atomic.Int64
	NextScan     atomic.Int64 // earliest expiry, 0 = none; the sweeper reads it unlocked

	// Allocation state, under the lock; rebuilt by a recovery.
	FreeHead      uint64 // free slots, linked by item.Next
	LRUHead       uint64 // least recently used
	LRUTail       uint64
	Tick          uint64 // use counter: orders the LRU list on a recovery
	BitmapPos     uint64 // where the next bitmap search starts
	LastFullSweep int64
}

// item is the fixed part of a slot; the key bytes follow it.
type item struct {
	State      atomic.Uint32
	KeyLen     uint32
	Hash       uint32
	_          uint32
	Next       uint64 // hash chain (or free list)
	Prev       uint64
	LRUNext    uint64
	LRUPrev    uint64
	FirstBlock uint64
	ValLen     uint64
	Expires    int64 // unix seconds, 0 = never
	Hits       uint64
	Tick       uint64
}

// layout holds the offsets of a cache's regions.
type layout struct {
	hashOff, itemOff, itemStride, bitmapOff, bitmapLen, dataOff, size uint64
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

func layoutOf(sp *Spec) layout {
	var l layout
	l.hashOff = headerSize
	l.itemOff = align8(l.hashOff + 4*sp.HashSize)
	l.itemStride = align8(uint64(itemHead) + sp.KeySize)
	l.bitmapOff = l.itemOff + l.itemStride*sp.Items
	if sp.Bitmap {
		l.bitmapLen = align8((sp.Blocks + 7) / 8)
	}
	l.dataOff = align8(l.bitmapOff + l.bitmapLen)
	l.size = l.dataOff + sp.BlockSize*sp.Blocks
	return l
}

// djb33x is Bernstein's hash, as uWSGI computes it (bytes as signed chars).
func djb33x(key string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(key); i++ {
		h = (h<<5 + h) ^ uint32(int32(int8(key[i])))
	}
	return h
}

// murmur2 is Austin Appleby's MurmurHash2 with seed 0, as uWSGI's.
func murmur2(key string) uint32 {
	const m = 0x5bd1e995
	h := uint32(len(key))
	for len(key) >= 4 {
		k := uint32(key[0]) | uint32(key[1])<<8 | uint32(key[2])<<16 | uint32(key[3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
		key = key[4:]
	}
	switch len(key) {
	case 3:
		h ^= uint32(int32(int8(key[2]))) << 16
		fallthrough
	case 2:
		h ^= uint32(int32(int8(key[1]))) << 8
		fallthrough
	case 1:
		h ^= uint32(int32(int8(key[0])))
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
