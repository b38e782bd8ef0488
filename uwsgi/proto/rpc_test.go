package proto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRPCRequestRoundTrip(t *testing.T) {
	pkt, err := AppendRPCRequest(nil, "hello", []byte("a"), nil, []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ParseHeader(pkt)
	if h.Modifier1 != uint8(ModRPC) || int(h.DataSize) != len(pkt)-4 {
		t.Fatalf("header %+v", h)
	}
	name, args, err := ParseRPCRequest(pkt[4:], nil)
	if err != nil || string(name) != "hello" || len(args) != 2 || string(args[0]) != "a" || string(args[1]) != "b" {
		t.Fatalf("parsed %q %q %v (empty args are dropped, as uWSGI)", name, args, err)
	}
	if _, err := AppendRPCRequest(nil, strings.Repeat("x", 300)); !errors.Is(err, ErrRPCTooLarge) {
		t.Fatalf("300-byte name: %v", err)
	}
	if _, _, err := ParseRPCRequest([]byte{9, 0, 'x'}, nil); err == nil {
		t.Fatal("overflowing item length accepted")
	}
}

func TestRPCReplies(t *testing.T) {
	small := AppendRPCReply(nil, []byte("ok"))
	if !bytes.Equal(small, []byte{173, 2, 0, 0, 'o', 'k'}) {
		t.Fatalf("small reply % x", small)
	}
	big := bytes.Repeat([]byte("z"), 70000)
	rep := AppendRPCReply(nil, big)
	h, _ := ParseHeader(rep)
	if h.Modifier2 != RPCLargeReply {
		t.Fatalf("large reply modifier2 %d", h.Modifier2)
	}
	n, err := RPCReplyLength(h, rep[4:4+int(h.DataSize)])
	if err != nil || n != 70000 || !bytes.Equal(rep[4+int(h.DataSize):], big) {
		t.Fatalf("large reply: %d %v", n, err)
	}
}

func FuzzRPC(f *testing.F) {
	p, _ := AppendRPCRequest(nil, "f", []byte("x"))
	f.Add(p[4:])
	f.Fuzz(func(t *testing.T, b []byte) { _, _, _ = ParseRPCRequest(b, nil) })
}
