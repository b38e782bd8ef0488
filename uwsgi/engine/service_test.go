package engine

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestWatchdogPeriod(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"0", "", 0},
		{"bad", "", 0},
		{"30000000", "", 15 * time.Second},
		{"30000000", me, 15 * time.Second},
		{"30000000", "1", 0}, // another process's watchdog
	} {
		if got := watchdogPeriod(tc.usec, tc.pid); got != tc.want {
			t.Errorf("watchdogPeriod(%q, %q) = %v, want %v", tc.usec, tc.pid, got, tc.want)
		}
	}
}

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
	if kindOfUnnamed(&activatedSocket{name: "http"}, []Kind{KindUwsgi}) != KindHTTP || kindOfUnnamed(&activatedSocket{}, []Kind{KindHTTP}) != KindHTTP || kindOfUnnamed(&activatedSocket{}, nil) != KindUwsgi {
		t.Error("kindOfUnnamed")
	}
}

func TestSocketListRoundTrip(t *testing.T) {
	in := []*Socket{{Name: "127.0.0.1:80", Kind: KindHTTP}, {Name: "/run/a,b;c.sock", Kind: KindUwsgi, Activated: true}, {Name: "@abs", Kind: KindUwsgi}}
	got, err := decodeSockets(encodeSockets(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []socketSpec{{"127.0.0.1:80", KindHTTP, false}, {"/run/a,b;c.sock", KindUwsgi, true}, {"@abs", KindUwsgi, false}}
	if !slices.Equal(got, want) {
		t.Fatalf("round trip: %v, want %v", got, want)
	}
	for _, bad := range []string{"x", "9:0:a", "0:0:%zz"} {
		if _, err := decodeSockets(bad); err == nil {
			t.Errorf("decodeSockets(%q) accepted", bad)
		}
	}
}

// The reaper collects a child nobody waits for and leaves a registered
// one to its waiter, whose exit status stays intact (run it with -count=N
// to vary which of the two exits first).
func TestReaperLeavesOwnChildren(t *testing.T) {
	own := exec.Command("/bin/sh", "-c", "exit 7")
	if err := startCmd(own); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- waitCmd(own) }() // as every start site has its waiter
	stray, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var reaped []int
	for !slices.Contains(reaped, stray) {
		if time.Now().After(deadline) {
			t.Fatalf("the stray child %d was never reaped (got %v)", stray, reaped)
		}
		reaped = append(reaped, reapOrphans()...)
		time.Sleep(10 * time.Millisecond)
	}
	if slices.Contains(reaped, own.Process.Pid) {
		t.Fatal("the reaper took a registered child")
	}
	if err := <-waited; own.ProcessState == nil || own.ProcessState.ExitCode() != 7 {
		t.Fatalf("the registered child's status: %v %v", err, own.ProcessState)
	}
	if isOwnChild(own.Process.Pid) {
		t.Fatal("waitCmd did not forget the pid")
	}
}
