package master

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

func TestParseSubscribeTo(t *testing.T) {
	for _, tc := range []struct {
		spec              string
		ok                bool
		addr, server, key string
		mod1              int
	}{
		{"127.0.0.1:2626:example.com", true, "", "127.0.0.1:2626", "example.com", 0},
		{"127.0.0.1:2626:example.com,11", true, "", "127.0.0.1:2626", "example.com", 11},
		{"10.0.0.5:3031=127.0.0.1:2626:example.com:8080", true, "10.0.0.5:3031", "127.0.0.1:2626", "example.com:8080", 0},
		{"/tmp/sub.sock:app.local", true, "", "/tmp/sub.sock", "app.local", 0},
		{"127.0.0.1:2626", false, "", "", "", 0},
		{"127.0.0.1:2626:", false, "", "", "", 0},
	} {
		s, ok := parseSubscribeTo(tc.spec, 0)
		if ok != tc.ok || (ok && (s.address != tc.addr || s.server != tc.server || s.key != tc.key || s.modifier1 != tc.mod1)) {
			t.Errorf("parseSubscribeTo(%q) = %+v %v", tc.spec, s, ok)
		}
	}
	if _, err := parseSubscribe2("server=127.0.0.1:2626,key=a,bogus=1", 0); err == nil {
		t.Error("unknown subscribe2 key accepted")
	}
}

func TestSubscribeKeysFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "keys")
	os.WriteFile(f, []byte("# hosts\na.test\nb.test,11\n\n"), 0o644)
	cfg, err := config.Load([]string{"--subscribe-to", "127.0.0.1:2626:@" + f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := subscriptions(cfg)
	if err != nil || len(subs) != 2 || subs[0].key != "a.test" || subs[1].key != "b.test" || subs[1].modifier1 != 11 {
		t.Fatalf("@file keys: %+v %v", subs, err)
	}
}
