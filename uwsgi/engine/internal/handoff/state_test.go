package handoff

import (
	"reflect"
	"testing"
)

// A state written by Encode reads back the same, in the format the
// previous master images wrote.
func TestMasterStateRoundTrip(t *testing.T) {
	in := &MasterState{Gen: 3, Sockets: []int{5, 6}, Board: 7, Caches: []int{8}, LogPipes: []int{9, 10, -1, -1}, TLS: 11,
		SocketList: []SocketSpec{{Name: "127.0.0.1:80", Kind: KindHTTP}, {Name: "/run/a;b=c,d.sock", Kind: KindUwsgi, Activated: true}},
		Workers:    []WorkerState{{ID: 1, Slot: 0, Gen: 3, PID: 100, Ctrl: 12, Ready: true}, {ID: 2, Slot: 4, Gen: 2, PID: 101, Ctrl: 13, Retiring: true}}}
	v := in.Encode()
	const want = "gen=3;sockets=5,6;board=7;caches=8;logpipes=9,10,-1,-1;socklist=1:0:127.0.0.1%3A80,0:1:%2Frun%2Fa%3Bb%3Dc%2Cd.sock;tls=11;workers=1:0:3:100:12:1:0,2:4:2:101:13:0:1"
	if v != want {
		t.Fatalf("encoded\n%s\nwant\n%s", v, want)
	}
	out, err := DecodeMasterState(v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n%+v\n%+v", in, out)
	}
	for _, bad := range []string{"", "gen=x;board=1", "gen=1", "gen=1;board=1;workers=1:2:3", "gen=1;board=1;socklist=9:0:x",
		// A list with a part that is not a number is refused, not read
		// as a shorter one (descriptor 6 would stand for the second socket).
		"gen=1;sockets=5,,6;board=1", "gen=1;sockets=5,x;board=1", "gen=1;board=1;caches=a", "gen=1;board=1;tls=z", "gen=1;board=1x"} {
		if _, err := DecodeMasterState(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Whatever the environment holds, a state that decodes encodes to one
// that decodes to the same.
func FuzzMasterState(f *testing.F) {
	f.Add("gen=1;sockets=3;board=4;caches=;socklist=0:0:x;workers=1:0:1:9:5:1:0")
	f.Add("gen=2;sockets=3,4;board=5;caches=6;logpipes=7,8,-1,-1;socklist=1:1:%2Fa;tls=9;workers=")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := DecodeMasterState(v)
		if err != nil {
			return
		}
		again, err := DecodeMasterState(s.Encode())
		if err != nil {
			t.Fatalf("%q -> %q: %v", v, s.Encode(), err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("%q:\n%+v\n%+v", v, s, again)
		}
	})
}

func TestSplitInts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{"", nil, false}, {"7", []int{7}, false}, {"5,-1,12", []int{5, -1, 12}, false},
		{"5,,6", nil, true}, {"5,x", nil, true}, {" 5", nil, true}, {",", nil, true},
	} {
		got, err := SplitInts(c.in)
		if (err != nil) != c.bad || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitInts(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.bad)
		}
	}
}
