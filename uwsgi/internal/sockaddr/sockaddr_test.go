package sockaddr

import "testing"

func TestNetwork(t *testing.T) {
	for name, want := range map[string]string{
		"127.0.0.1:3031": "tcp", ":9090": "tcp", "[::1]:80": "tcp", "localhost:1": "tcp",
		"/run/app.sock": "unix", "/run/a:b.sock": "unix", "@abstract": "unix", "@abs:1": "unix", "app.sock": "unix",
	} {
		if got := Network(name); got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
	}
}
