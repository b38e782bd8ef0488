package proto

import (
	"errors"
	"strconv"
)

// Cache commands: the modifier2 of a ModCache packet (uWSGI's cache
// plugin). 0-5 always use the server's default cache.
const (
	CacheGet      uint8 = 0  // raw key; reply [111, vallen, 0] + value; miss: close
	CacheSetArray uint8 = 1  // array [key, value]; set if absent; no reply
	CacheDelRaw   uint8 = 2  // raw key; no reply
	CacheDictGet  uint8 = 3  // vars key=K or get=K; the value alone (get: HTTP 404 on a miss)
	CacheDictGet2 uint8 = 4  // the same as 3
	CacheStream   uint8 = 5  // raw key; reply [111, 0, 1] + value, or [111, 0, 0]
	CacheMagic    uint8 = 17 // the "magic" dictionary interface below
)

// CacheRequest is a magic (modifier2 17) request. The slices point into the
// packet's block. For set and update, Size value bytes follow the packet.
type CacheRequest struct {
	Cmd, Key, Cache []byte
	Size, Expires   uint64 // Expires: seconds from now in a request
}

// ErrBadCacheRequest is returned for a magic request without a command.
var ErrBadCacheRequest = errors.New("uwsgi: malformed cache request")

// ParseCacheRequest reads a magic request's vars.
func ParseCacheRequest(block []byte) (CacheRequest, error) {
	var r CacheRequest
	_, err := ForEachVar(block, 64, func(k, v []byte) bool {
		switch string(k) {
		case "cmd":
			r.Cmd = v
		case "key":
			r.Key = v
		case "cache":
			r.Cache = v
		case "size":
			r.Size = decimal(v)
		case "expires":
			r.Expires = decimal(v)
		}
		return true
	})
	if err == nil && len(r.Cmd) == 0 {
		err = ErrBadCacheRequest
	}
	return r, err
}

// decimal reads leading digits as uWSGI's uwsgi_str_num does (garbage
// stops the number).
func decimal(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// AppendCacheRequest appends a magic request: cmd is get, exists, set,
// update, del or clear; size (set/update) is the length of the value the
// caller sends right after the packet; expires 0 is omitted.
func AppendCacheRequest(dst []byte, cmd, key, cache string, size, expires uint64) ([]byte, error) {
	kv := []string{"cmd", cmd}
	if cmd != "clear" {
		kv = append(kv, "key", key)
	}
	if cmd == "set" || cmd == "update" {
		kv = append(kv, "size", strconv.FormatUint(size, 10))
		if expires > 0 {
			kv = append(kv, "expires", strconv.FormatUint(expires, 10))
		}
	}
	if cache != "" {
		kv = append(kv, "cache", cache)
	}
	return AppendPacket(dst, uint8(ModCache), CacheMagic, kv...)
}

// AppendCacheReply appends a magic success reply: status ok, and for a get
// the value's size and absolute expiry (unix seconds, omitted when 0); the
// caller writes the value after it.
func AppendCacheReply(dst []byte, get bool, size uint64, expires int64) []byte {
	var num [20]byte
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = AppendVar(dst, "status", "ok")
	if get {
		dst = AppendVar(dst, "size", string(strconv.AppendUint(num[:0], size, 10)))
		if expires > 0 {
			dst = AppendVar(dst, "expires", string(strconv.AppendInt(num[:0], expires, 10)))
		}
	}
	h := Header{Modifier1: uint8(ModCache), DataSize: uint16(len(dst) - start - HeaderSize), Modifier2: CacheMagic}.Bytes()
	copy(dst[start:], h[:])
	return dst
}

// CacheReply is a parsed magic reply.
type CacheReply struct {
	OK            bool
	Size, Expires uint64
}

// ParseCacheReply reads a magic reply's vars.
func ParseCacheReply(block []byte) (CacheReply, error) {
	var r CacheReply
	_, err := ForEachVar(block, 64, func(k, v []byte) bool {
		switch string(k) {
		case "status":
			r.OK = string(v) == "ok"
		case "size":
			r.Size = decimal(v)
		case "expires":
			r.Expires = decimal(v)
		}
		return true
	})
	return r, err
}
