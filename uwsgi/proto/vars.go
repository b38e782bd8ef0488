package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors of a malformed vars block. They are wrapped with the offset where
// the block went wrong; test them with errors.Is.
var (
	ErrEmptyKey    = errors.New("uwsgi key cannot be null")
	ErrTruncated   = errors.New("invalid uwsgi request: a length runs past the end of the block")
	ErrTooManyVars = errors.New("max vec size reached")
	ErrTooLarge    = errors.New("uwsgi: block larger than 65535 bytes")
)

// MaxPairs is how many key/value pairs uWSGI accepts in a request with
// --max-vars n: each key and each value takes one of the 4+1+4n slots of a
// core's vector and a request may use fewer than 256 of them, so the limit
// is min(4+1+4n, 255)/2 pairs — 128 with the default --max-vars 64.
func MaxPairs(maxVars int) int {
	slots := 4 + 1 + 4*maxVars
	if slots > 256 {
		slots = 256
	}
	return slots / 2
}

// ForEachVar calls fn for each key/value pair of a vars block, in order,
// until fn returns false. It returns the number of pairs seen. More than
// maxPairs pairs, an empty key, or a length running past the block are
// errors; values may be empty. The slices point into block.
func ForEachVar(block []byte, maxPairs int, fn func(key, value []byte) bool) (int, error) {
	pairs := 0
	for off := 0; off < len(block); {
		key, next, err := item(block, off)
		if err != nil {
			return pairs, err
		}
		if len(key) == 0 {
			return pairs, fmt.Errorf("%w (offset %d)", ErrEmptyKey, off)
		}
		value, end, err := item(block, next)
		if err != nil {
			return pairs, err
		}
		if pairs++; pairs > maxPairs {
			return pairs - 1, fmt.Errorf("%w (more than %d vars)", ErrTooManyVars, maxPairs)
		}
		if !fn(key, value) {
			return pairs, nil
		}
		off = end
	}
	return pairs, nil
}

// item reads one length-prefixed item at off.
func item(block []byte, off int) (b []byte, next int, err error) {
	if off+2 > len(block) {
		return nil, 0, fmt.Errorf("%w (offset %d)", ErrTruncated, off)
	}
	n := int(binary.LittleEndian.Uint16(block[off:]))
	off += 2
	if off+n > len(block) {
		return nil, 0, fmt.Errorf("%w (offset %d, length %d)", ErrTruncated, off-2, n)
	}
	return block[off : off+n], off + n, nil
}

// ForEachArrayItem calls fn for each length-prefixed item of an array block
// (RPC arguments, cache values) until fn returns false.
func ForEachArrayItem(block []byte, fn func(item []byte) bool) error {
	for off := 0; off < len(block); {
		b, next, err := item(block, off)
		if err != nil {
			return err
		}
		if !fn(b) {
			return nil
		}
		off = next
	}
	return nil
}

// AppendVar appends one key/value pair to a vars block.
func AppendVar(dst []byte, key, value string) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(key)))
	dst = append(dst, key...)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(value)))
	return append(dst, value...)
}

// AppendArrayItem appends one length-prefixed item to an array block.
func AppendArrayItem(dst, item []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(item)))
	return append(dst, item...)
}

// AppendPacket appends a whole packet: the header and a vars block made of
// kv, which alternates keys and values.
func AppendPacket(dst []byte, mod1, mod2 uint8, kv ...string) ([]byte, error) {
	if len(kv)%2 != 0 {
		return dst, errors.New("uwsgi: AppendPacket needs key/value pairs")
	}
	size := 0
	for _, s := range kv {
		if len(s) > MaxDataSize {
			return dst, ErrTooLarge
		}
		size += 2 + len(s)
	}
	if size > MaxDataSize {
		return dst, ErrTooLarge
	}
	dst = Header{Modifier1: mod1, DataSize: uint16(size), Modifier2: mod2}.AppendTo(dst)
	for i := 0; i < len(kv); i += 2 {
		dst = AppendVar(dst, kv[i], kv[i+1])
	}
	return dst, nil
}

// PingRequest is a ping packet (uwsgi --ping sends it).
var PingRequest = Header{Modifier1: uint8(ModPing)}.Bytes()

// PingReply is the answer of a healthy server: modifier2 1, no text.
var PingReply = Header{Modifier1: uint8(ModPing), Modifier2: 1}.Bytes()
