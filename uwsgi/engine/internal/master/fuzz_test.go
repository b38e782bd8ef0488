package master

import "testing"

// FuzzSubscribe parses --subscribe2 key=value lists and --subscribe-to
// specs: nothing may panic, and an accepted subscribe2 names its server
// and key.
func FuzzSubscribe(f *testing.F) {
	f.Add("server=127.0.0.1:3031,key=example.com,addr=127.0.0.1:8080,weight=3,modifier1=11")
	f.Add("127.0.0.1:3031:example.com,11")
	f.Add("server=,key=")
	f.Fuzz(func(t *testing.T, spec string) {
		if s, err := parseSubscribe2(spec, 0); err == nil && (s.server == "" || s.key == "") {
			t.Fatalf("parseSubscribe2(%q) accepted %+v", spec, s)
		}
		parseSubscribeTo(spec, 0)
	})
}
