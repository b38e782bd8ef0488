//go:build linux

package socket

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testRange is a fileRange over an open file.
type testRange struct {
	f      *os.File
	off, n int64
}

func (r *testRange) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	n, err := r.f.ReadAt(p[:min(int64(len(p)), r.n)], r.off)
	r.Advance(int64(n))
	return n, err
}
func (r *testRange) FileRange() (int, int64, int64) { return int(r.f.Fd()), r.off, r.n }
func (r *testRange) Advance(n int64)                { r.off, r.n = r.off+n, r.n-n }

func tempFile(t testing.TB, size int) (*os.File, []byte) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, b
}

// TestReadFromSendsFiles: a file range through DrainConn.ReadFrom (under
// fasthttp's LimitedReader) arrives whole, from raw non-blocking sendfile
// calls and, once the socket buffer is full, through the poller.
func TestReadFromSendsFiles(t *testing.T) {
	c, client, _ := fastPair(t, "tcp", "127.0.0.1:0")
	sc := c.(*sockConn)
	dc := &DrainConn{Conn: sc, sc: sc}
	if !dc.SendsFiles() {
		t.Fatal("a sockConn does not send files")
	}
	f, want := tempFile(t, 32<<20)
	r := &testRange{f: f, off: 1000, n: int64(len(want)) - 1000}
	lr := &io.LimitedReader{R: r, N: int64(len(want)) - 2000}
	sent := make(chan error, 1)
	go func() {
		n, err := dc.ReadFrom(lr)
		if err == nil && n != int64(len(want))-2000 {
			err = io.ErrShortWrite
		}
		sent <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for sc.f.Load() == nil && len(sent) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	joined := sc.f.Load() != nil
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(client); got <- b }()
	if err := <-sent; err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	if !joined {
		t.Fatal("32 MiB did not have to wait for the peer")
	}
	if lr.N != 0 || r.n != 1000 {
		t.Fatalf("left: limit %d, range %d", lr.N, r.n)
	}
	sc.Close()
	if b := <-got; !bytes.Equal(b, want[1000:len(want)-1000]) {
		t.Fatalf("the peer read %d bytes, not the range", len(b))
	}
}

// TestSendFileKeepsTheWriteDeadline: a peer that does not read makes
// sendfile wait in the poller until the write deadline.
func TestSendFileKeepsTheWriteDeadline(t *testing.T) {
	c, _, _ := fastPair(t, "tcp", "127.0.0.1:0")
	sc := c.(*sockConn)
	f, _ := tempFile(t, 64<<20)
	_ = sc.SetWriteDeadline(time.Unix(1, 0))
	if _, err := sc.sendFile(int(f.Fd()), 0, 10); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("sendfile past the deadline: %v", err)
	}
	_ = sc.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := sc.sendFile(int(f.Fd()), 0, 64<<20)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n <= 0 || n >= 64<<20 {
		t.Fatalf("sendfile to a peer that does not read: %d bytes, %v", n, err)
	}
}

// TestSendFileAllocatesNothing: a file body sent to a connection in the
// poller allocates nothing once the connection sent one.
func TestSendFileAllocatesNothing(t *testing.T) {
	c, client, _ := fastPair(t, "tcp", "127.0.0.1:0")
	sc := c.(*sockConn)
	f, _ := tempFile(t, 16<<10)
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, client); close(done) }()
	// A read that blocks puts the connection in the poller.
	_ = sc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	sc.Read(make([]byte, 1))
	_ = sc.SetReadDeadline(time.Time{})
	if sc.f.Load() == nil {
		t.Fatal("not in the poller")
	}
	send := func() {
		if _, err := sc.sendFile(int(f.Fd()), 0, 16<<10); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if n := testing.AllocsPerRun(100, send); n != 0 {
		t.Fatalf("sendfile allocates %v times", n)
	}
	sc.Close()
	<-done
}
