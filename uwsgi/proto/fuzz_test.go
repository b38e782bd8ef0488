package proto

import (
	"bytes"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0})
	f.Add([]byte{100, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err == nil {
			if enc := h.Bytes(); !bytes.Equal(enc[:], b[:4]) {
				t.Fatalf("round trip % x -> % x", b[:4], enc)
			}
		}
	})
}

func FuzzVars(f *testing.F) {
	f.Add(nginxPacket()[HeaderSize:], 128)
	f.Add([]byte{1, 0, 'a', 9, 0, 'x'}, 128)
	f.Add([]byte{0, 0, 0, 0}, 1)
	f.Fuzz(func(t *testing.T, block []byte, max int) {
		var rebuilt []byte
		n, err := ForEachVar(block, max, func(k, v []byte) bool {
			rebuilt = AppendVar(rebuilt, string(k), string(v))
			return true
		})
		if err == nil && !bytes.Equal(rebuilt, block) {
			t.Fatalf("%d pairs decoded but re-encoding differs", n)
		}
	})
}

func FuzzArray(f *testing.F) {
	f.Add(AppendArrayItem(AppendArrayItem(nil, []byte("rpc")), []byte("arg")))
	f.Fuzz(func(t *testing.T, block []byte) {
		var rebuilt []byte
		err := ForEachArrayItem(block, func(it []byte) bool { rebuilt = AppendArrayItem(rebuilt, it); return true })
		if err == nil && !bytes.Equal(rebuilt, block) {
			t.Fatal("re-encoding differs")
		}
	})
}

func FuzzCacheRequest(f *testing.F) {
	pkt, _ := AppendCacheRequest(nil, "set", "key", "name", 5, 60)
	f.Add(pkt[HeaderSize:])
	f.Add([]byte{3, 0, 'c', 'm', 'd', 0, 0})
	f.Fuzz(func(t *testing.T, block []byte) {
		r, err := ParseCacheRequest(block)
		if err != nil {
			return
		}
		again, err := AppendCacheRequest(nil, string(r.Cmd), string(r.Key), string(r.Cache), r.Size, r.Expires)
		if err != nil {
			return // a key too long to fit one packet with the other vars
		}
		if _, err := ParseCacheRequest(again[HeaderSize:]); err != nil {
			t.Fatalf("re-encoded request does not parse: %v", err)
		}
	})
}
