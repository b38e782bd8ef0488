package handoff

import (
	"slices"
	"testing"
)

func TestSocketListRoundTrip(t *testing.T) {
	in := []SocketSpec{{"127.0.0.1:80", KindHTTP, false}, {"/run/a,b;c.sock", KindUwsgi, true}, {"@abs", KindUwsgi, false}}
	got, err := DecodeSockets(EncodeSockets(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []SocketSpec{{"127.0.0.1:80", KindHTTP, false}, {"/run/a,b;c.sock", KindUwsgi, true}, {"@abs", KindUwsgi, false}}
	if !slices.Equal(got, want) {
		t.Fatalf("round trip: %v, want %v", got, want)
	}
	for _, bad := range []string{"x", "9:0:a", "0:0:%zz"} {
		if _, err := DecodeSockets(bad); err == nil {
			t.Errorf("decodeSockets(%q) accepted", bad)
		}
	}
}
