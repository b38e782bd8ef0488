package proto

import (
	"errors"
	"strconv"
)

// RPC limits, as uWSGI's.
const (
	MaxRPCName = 255
	MaxRPCArgs = 255
)

// RPC reply kinds (modifier2 of a ModRPC reply).
const (
	RPCReply      uint8 = 0 // [173, len, 0] + result
	RPCRaw        uint8 = 1 // the result alone, no header
	RPCHTTP       uint8 = 2
	RPCLargeReply uint8 = 5 // [173, dictlen, 5] + {CONTENT_LENGTH: N} + N bytes
)

// ErrRPCTooLarge is returned for a request over 65535 bytes or with more
// than MaxRPCArgs arguments or a name of MaxRPCName bytes or more.
var ErrRPCTooLarge = errors.New("uwsgi: RPC packet length overflow")

// AppendRPCRequest appends an RPC call: [173, size, 0] + the name and the
// arguments as array items.
func AppendRPCRequest(dst []byte, name string, args ...[]byte) ([]byte, error) {
	if len(name) == 0 || len(name) > MaxRPCName || len(args) > MaxRPCArgs {
		return dst, ErrRPCTooLarge
	}
	size := 2 + len(name)
	for _, a := range args {
		size += 2 + len(a)
	}
	if size > MaxDataSize {
		return dst, ErrRPCTooLarge
	}
	dst = Header{Modifier1: uint8(ModRPC), DataSize: uint16(size)}.AppendTo(dst)
	dst = AppendArrayItem(dst, []byte(name))
	for _, a := range args {
		dst = AppendArrayItem(dst, a)
	}
	return dst, nil
}

// ParseRPCRequest splits an RPC array block into the function name and its
// arguments. Zero-length items are dropped, as uWSGI does. The slices point
// into block.
func ParseRPCRequest(block []byte, args [][]byte) (name []byte, out [][]byte, err error) {
	out = args[:0]
	err = ForEachArrayItem(block, func(it []byte) bool {
		if len(it) == 0 {
			return true
		}
		if name == nil {
			name = it
			return true
		}
		out = append(out, it)
		return len(out) <= MaxRPCArgs
	})
	if err == nil && name == nil {
		err = errors.New("uwsgi: empty RPC request")
	}
	if err == nil && (len(out) > MaxRPCArgs || len(name) > MaxRPCName) {
		err = ErrRPCTooLarge
	}
	return name, out, err
}

// AppendRPCReply appends the reply of modifier2 0: the result after a
// header, or, for a result over 65535 bytes, the CONTENT_LENGTH dict form.
func AppendRPCReply(dst, result []byte) []byte {
	if len(result) <= MaxDataSize {
		dst = Header{Modifier1: uint8(ModRPC), DataSize: uint16(len(result))}.AppendTo(dst)
		return append(dst, result...)
	}
	dict := AppendVar(nil, "CONTENT_LENGTH", strconv.Itoa(len(result)))
	dst = Header{Modifier1: uint8(ModRPC), DataSize: uint16(len(dict)), Modifier2: RPCLargeReply}.AppendTo(dst)
	dst = append(dst, dict...)
	return append(dst, result...)
}

// RPCReplyLength reads the length of the result that follows a reply
// header and its block: for modifier2 0 the header's size, for the large
// form the CONTENT_LENGTH in block.
func RPCReplyLength(h Header, block []byte) (int, error) {
	if h.Modifier2 != RPCLargeReply {
		return int(h.DataSize), nil
	}
	n := -1
	_, err := ForEachVar(block, 8, func(k, v []byte) bool {
		if string(k) == "CONTENT_LENGTH" {
			n, _ = strconv.Atoi(string(v))
		}
		return true
	})
	if err != nil || n < 0 {
		return 0, errors.New("uwsgi: RPC reply without CONTENT_LENGTH")
	}
	return n, nil
}
