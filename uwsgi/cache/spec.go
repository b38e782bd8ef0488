package cache

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec describes one cache as --cache2 does (uWSGI 2.0 keys and defaults).
type Spec struct {
	Name        string
	Items       uint64 // item slots; slot 0 is reserved, so Items-1 are usable
	Blocks      uint64 // data blocks (default Items)
	BlockSize   uint64 // bytes per block (default 65536)
	KeySize     uint64 // longest key (default 2048)
	HashSize    uint64 // hash buckets (default 65536)
	Hash        string // "djb33x" (default) or "murmur2"
	Bitmap      bool   // values may span contiguous blocks
	PurgeLRU    bool   // when full, evict the least recently used item
	LazyExpire  bool   // delete expired items when read; no sweeping
	NoExpire    bool   // the sweeper skips this cache
	IgnoreFull  bool   // do not log "cache is FULL"
	ClearOnFull bool   // when full, delete everything
	SweepOnFull uint64 // when full, sweep expired items at most every N seconds
	LastMod     bool   // keep last_modified_at up to date
	MathInitial int64  // start value of Inc/Dec/Mul/Div on a missing key
	Store       string // back the cache with this file (survives restarts)
	StoreSync   uint64 // msync the store every N seconds (0: at start and stop only)
	StoreDelete bool   // replace a store file whose layout does not match
}

// Default sizes, as uWSGI's.
const (
	DefaultBlockSize = 65536
	DefaultKeySize   = 2048
	DefaultHashSize  = 65536
	maxKeySize       = 65535
)

// ParseSpec parses a --cache2 value: comma-separated key=value pairs, a
// backslash escaping a comma. Unlike uWSGI, an unknown key is an error
// (uWSGI ignores it silently, which hides typos such as max-items).
func ParseSpec(s string) (Spec, error) {
	sp := Spec{Hash: "djb33x"}
	for _, kv := range splitEscaped(s) {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if err := sp.setKey(strings.TrimSpace(k), v); err != nil {
			return sp, fmt.Errorf("cache2 %q: %w", s, err)
		}
	}
	if err := sp.fill(); err != nil {
		return sp, fmt.Errorf("cache2 %q: %w", s, err)
	}
	return sp, nil
}

// Legacy is the cache --cache N creates: named "default".
func Legacy(items, blockSize uint64, store string, storeSync uint64) (Spec, error) {
	sp := Spec{Name: "default", Items: items, BlockSize: blockSize, Hash: "djb33x", Store: store, StoreSync: storeSync}
	return sp, sp.fill()
}

func splitEscaped(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			cur.WriteByte(',')
			i++
		case s[i] == ',':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

func (sp *Spec) setKey(k, v string) error {
	num := func(dst *uint64) error {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid %s %q: want a decimal number", k, v)
		}
		*dst = n
		return nil
	}
	flag := func(dst *bool) error { *dst = true; return nil }
	switch k {
	case "name":
		sp.Name = v
	case "items", "max_items", "maxitems":
		return num(&sp.Items)
	case "blocks":
		return num(&sp.Blocks)
	case "blocksize":
		return num(&sp.BlockSize)
	case "keysize", "key_size":
		return num(&sp.KeySize)
	case "hashsize", "hash_size":
		return num(&sp.HashSize)
	case "hash":
		sp.Hash = v
	case "bitmap":
		return flag(&sp.Bitmap)
	case "purge_lru", "lru":
		return flag(&sp.PurgeLRU)
	case "lazy_expire", "lazy":
		return flag(&sp.LazyExpire)
	case "no_expire":
		return flag(&sp.NoExpire)
	case "ignore_full":
		return flag(&sp.IgnoreFull)
	case "clear_on_full":
		return flag(&sp.ClearOnFull)
	case "sweep_on_full":
		return num(&sp.SweepOnFull)
	case "lastmod":
		return flag(&sp.LastMod)
	case "math_initial":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid math_initial %q", v)
		}
		sp.MathInitial = n
	case "store":
		sp.Store = v
	case "store_sync":
		return num(&sp.StoreSync)
	case "store_delete":
		return flag(&sp.StoreDelete)
	case "node", "nodes", "udp", "udp_servers", "udp_server", "udpservers", "udpserver", "sync":
		return fmt.Errorf("%s: cache replication is not yet supported by uwsgo", k)
	default:
		return fmt.Errorf("unknown key %q (known: name, items, blocks, blocksize, keysize, hashsize, hash, bitmap, purge_lru, lazy_expire, no_expire, ignore_full, clear_on_full, sweep_on_full, lastmod, math_initial, store, store_sync, store_delete)", k)
	}
	return nil
}

// fill applies the defaults and checks the limits, with uWSGI's messages.
func (sp *Spec) fill() error {
	if sp.Name == "" {
		return fmt.Errorf("you have to specify a cache name")
	}
	if sp.Items == 0 {
		return fmt.Errorf("you have to specify the number of cache items (items=N) for %q", sp.Name)
	}
	if sp.Items >= 1<<32-1 {
		return fmt.Errorf("invalid number of cache items for %q: at most %d", sp.Name, uint64(1<<32-2))
	}
	if sp.BlockSize == 0 {
		sp.BlockSize = DefaultBlockSize
	}
	if sp.Blocks == 0 {
		sp.Blocks = sp.Items
	}
	if sp.Blocks < sp.Items && !sp.Bitmap {
		return fmt.Errorf("invalid number of cache blocks for %q, must be higher than max_items (%d)", sp.Name, sp.Items)
	}
	if sp.KeySize == 0 {
		sp.KeySize = DefaultKeySize
	}
	if sp.KeySize > maxKeySize {
		return fmt.Errorf("invalid cache keysize for %q: must be < 65536", sp.Name)
	}
	if sp.HashSize == 0 {
		sp.HashSize = DefaultHashSize
	}
	if sp.HashSize >= 1<<32 {
		return fmt.Errorf("invalid cache hashsize for %q", sp.Name)
	}
	if sp.Hash != "djb33x" && sp.Hash != "murmur2" {
		return fmt.Errorf("invalid cache hash for %q: %q (djb33x or murmur2)", sp.Name, sp.Hash)
	}
	if sp.BlockSize > 1<<40 || sp.Blocks > 1<<40 || sp.BlockSize*sp.Blocks > 1<<46 {
		return fmt.Errorf("invalid cache blocksize/blocks for %q: %d×%d bytes is too large", sp.Name, sp.Blocks, sp.BlockSize)
	}
	return nil
}

// MaxValue is the largest value the cache can hold: one block, or every
// block in bitmap mode.
func (sp Spec) MaxValue() uint64 {
	if sp.Bitmap {
		return sp.BlockSize * sp.Blocks
	}
	return sp.BlockSize
}

// Expires reports whether the sweeper should visit this cache.
func (sp Spec) Expires() bool { return !sp.NoExpire && !sp.PurgeLRU && !sp.LazyExpire }
