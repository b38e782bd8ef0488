package proto

import (
	"bytes"
	"testing"
)

// TestSubscriptionBytes checks the datagram against the one uWSGI 2.0.21 sent
// for --socket :9301 --processes 2 --subscribe-to 127.0.0.1:2626:example.com,11
// (spec §7.2): header [224, 93, 0] and the vars in order.
func TestSubscriptionBytes(t *testing.T) {
	s := Subscription{Key: "example.com", Address: ":9301", Modifier1: 11, Cores: 2}
	pkt, err := AppendSubscription(nil, Subscribe, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkt[:4], []byte{224, 93, 0, 0}) {
		t.Fatalf("header % x, want e0 5d 00 00", pkt[:4])
	}
	var want []byte
	for _, kv := range [][2]string{{"key", "example.com"}, {"address", ":9301"}, {"modifier1", "11"}, {"modifier2", "0"}, {"cores", "2"}, {"load", "0"}, {"weight", "0"}} {
		want = AppendVar(want, kv[0], kv[1])
	}
	if !bytes.Equal(pkt[4:], want) {
		t.Fatalf("vars\n% x\nwant\n% x", pkt[4:], want)
	}
	cmd, back, err := ParseSubscription(pkt)
	if err != nil || cmd != Subscribe || back != s {
		t.Fatalf("round trip: %d %+v %v", cmd, back, err)
	}
	un, _ := AppendSubscription(nil, Unsubscribe, s)
	if un[3] != 1 {
		t.Fatalf("unsubscribe modifier2 = %d", un[3])
	}
}

func FuzzSubscription(f *testing.F) {
	p, _ := AppendSubscription(nil, Subscribe, Subscription{Key: "k", Address: ":1"})
	f.Add(p)
	f.Fuzz(func(t *testing.T, b []byte) { _, _, _ = ParseSubscription(b) })
}
