package socket

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
)

func TestActivatedSocketMatches(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	port := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
	any4, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer any4.Close()
	anyPort := strconv.Itoa(any4.Addr().(*net.TCPAddr).Port)
	path := filepath.Join(t.TempDir(), "s.sock")
	ux, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ux.Close()
	a := &activatedSocket{listener: tcp}
	for name, want := range map[string]bool{"127.0.0.1:" + port: true, "localhost:" + port: true, ":" + port: false, "127.0.0.2:" + port: false, "127.0.0.1:1": false, path: false} {
		if got := a.matches(name, false); got != want {
			t.Errorf("127.0.0.1:%s matches %q = %v, want %v", port, name, got, want)
		}
	}
	b := &activatedSocket{listener: any4}
	if !b.matches(":"+anyPort, false) || !b.matches("0.0.0.0:"+anyPort, false) || b.matches("127.0.0.1:"+anyPort, false) {
		t.Error("a socket on every address must match :PORT and 0.0.0.0:PORT only")
	}
	u := &activatedSocket{listener: ux}
	if !u.matches(path, false) || u.matches(path+"x", false) || u.matches("127.0.0.1:"+port, false) {
		t.Error("unix socket matching by path")
	}
	named := &activatedSocket{listener: ux, name: "web"}
	if !named.matches("web", false) {
		t.Error("FileDescriptorName= matches the option's value")
	}
	if kindOfUnnamed(&activatedSocket{name: "http"}, []handoff.Kind{handoff.KindUwsgi}) != handoff.KindHTTP || kindOfUnnamed(&activatedSocket{}, []handoff.Kind{handoff.KindHTTP}) != handoff.KindHTTP || kindOfUnnamed(&activatedSocket{}, nil) != handoff.KindUwsgi {
		t.Error("kindOfUnnamed")
	}
}
