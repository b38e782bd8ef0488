//go:build linux

package socket

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"golang.org/x/sys/unix"
)

// fastPair accepts one connection from network/addr with the fast acceptor.
func fastPair(t *testing.T, network, addr string) (net.Conn, net.Conn, net.Listener) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	acc := newAcceptor(ln, nil, nil)
	if _, ok := acc.(*fastAccept); !ok {
		t.Fatalf("newAcceptor(%T) = %T, want the fast acceptor", ln, acc)
	}
	t.Cleanup(func() { acc.Close(); ln.Close() })
	client, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := acc.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, client, acc
}

func TestFastAcceptBehavesLikeNet(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		// Bound to one address (LocalAddr is the listener's) and to a
		// wildcard (getsockname), each compared with net's own view.
		{"tcp", "127.0.0.1:0"}, {"tcp", "[::1]:0"}, {"tcp", "0.0.0.0:0"}, {"tcp", "[::]:0"},
		{"unix", "@uwsgo-accept-test"},
	} {
		t.Run(tc.network+" "+tc.addr, func(t *testing.T) {
			c, client, _ := fastPair(t, tc.network, tc.addr)
			if tc.network == "tcp" {
				// TCP_NODELAY, as every Go server's connection has it (set on
				// the listener and inherited, or set on the connection).
				var nodelay int
				_ = c.(*sockConn).control(func(fd int) (err error) {
					nodelay, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
					return err
				})
				if nodelay == 0 {
					t.Error("the accepted connection has no TCP_NODELAY")
				}
				if got, want := c.RemoteAddr().String(), client.LocalAddr().String(); got != want {
					t.Errorf("RemoteAddr %s, want %s", got, want)
				}
				if got, want := c.LocalAddr().String(), client.RemoteAddr().String(); got != want {
					t.Errorf("LocalAddr %s, want %s", got, want)
				}
			}
			// Data both ways.
			if _, err := client.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
				t.Fatalf("read %q %v", buf, err)
			}
			// A read deadline gives a net.Error that says Timeout.
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := c.Read(buf)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read past the deadline: %#v, want a timeout net.Error", err)
			}
			if _, isNetErr := err.(net.Error); !isNetErr {
				t.Errorf("the timeout error %T is not itself a net.Error (fasthttp asserts the type)", err)
			}
			_ = c.SetReadDeadline(time.Time{})
			// Half-close: the peer reads EOF and can still send.
			if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if n, err := client.Read(buf); n != 0 || err != io.EOF {
				t.Fatalf("peer read after CloseWrite: %d %v, want EOF", n, err)
			}
			client.Write([]byte("x"))
			client.Close()
			if _, err := io.ReadFull(c, buf[:1]); err != nil {
				t.Fatalf("read after the peer wrote and closed: %v", err)
			}
			if _, err := c.Read(buf); err != io.EOF {
				t.Fatalf("read at the end: %v, want io.EOF", err)
			}
			c.Close()
			if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("read after Close: %v, want net.ErrClosed", err)
			}
		})
	}
}

// Closing the acceptor wakes a blocked Accept with net.ErrClosed.
func TestFastAcceptClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := newAcceptor(ln, nil, nil)
	done := make(chan error, 1)
	go func() { _, err := acc.Accept(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	acc.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still blocked after Close")
	}
}

// Socket.Close stops accepting on both descriptors: nothing accepts a
// connection afterwards (the kernel refuses it).
func TestSocketCloseStopsTheAcceptor(t *testing.T) {
	s, err := Bind(0, "127.0.0.1:0", handoff.KindHTTP, SocketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Listener.Addr().String()
	go func() {
		for {
			c, err := s.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a connection was accepted after Socket.Close")
	}
}

// A connection reads and writes with plain system calls until one would
// block; then it joins the poller and behaves the same.
func TestSockConnJoinsThePollerWhenBlocked(t *testing.T) {
	c, client, _ := fastPair(t, "tcp", "127.0.0.1:0")
	sc := c.(*sockConn)
	// A past deadline set before any read fails the read, data or not.
	client.Write([]byte("abc"))
	time.Sleep(20 * time.Millisecond)
	_ = sc.SetReadDeadline(time.Unix(1, 0))
	if _, err := sc.Read(make([]byte, 3)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past a deadline: %v", err)
	}
	_ = sc.SetReadDeadline(time.Time{})
	_ = sc.SetWriteDeadline(time.Unix(1, 0))
	if _, err := sc.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past a deadline: %v", err)
	}
	_ = sc.SetWriteDeadline(time.Time{})
	buf := make([]byte, 3)
	if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != "abc" {
		t.Fatalf("read %q %v", buf, err)
	}
	if sc.f.Load() != nil {
		t.Fatal("joined the poller though no read had to wait")
	}
	// 32 MiB outgrows the socket buffers (loopback's grow to about 10 MiB):
	// the write waits in the poller until the peer reads. The peer starts
	// reading only once the write waits or ended, so a reader keeping up
	// cannot spare the write its wait.
	big := make([]byte, 32<<20)
	for i := range big {
		big[i] = byte(i)
	}
	wrote := make(chan error, 1)
	go func() {
		n, err := sc.Write(big)
		if err == nil && n != len(big) {
			err = io.ErrShortWrite
		}
		wrote <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for sc.f.Load() == nil && len(wrote) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	joined := sc.f.Load() != nil
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(client); got <- b }()
	if err := <-wrote; err != nil {
		t.Fatalf("big write: %v", err)
	}
	if !joined {
		t.Fatal("a 32 MiB write did not have to wait")
	}
	sc.Close()
	if b := <-got; len(b) != len(big) || b[len(b)-1] != big[len(big)-1] {
		t.Fatalf("the peer read %d bytes, want %d", len(b), len(big))
	}
}

// Close wakes a read blocked in the poller.
func TestSockConnCloseWakesARead(t *testing.T) {
	c, _, _ := fastPair(t, "tcp", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); done <- err }()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read ended with %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the read")
	}
}

// corkLast reaches the accepted connection bare (a uwsgi socket's) and
// under the HTTP server's wrappers.
func TestCorkLastReachesTheSocket(t *testing.T) {
	corked := func(c net.Conn) bool {
		var v int
		_ = c.(*sockConn).control(func(fd int) (err error) {
			v, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_CORK)
			return err
		})
		return v != 0
	}
	// Not in the poller: the writes go with MSG_MORE, and the response
	// reaches the peer, whole, with the end of the connection.
	bare, client, _ := fastPair(t, "tcp", "127.0.0.1:0")
	CorkLast(bare)
	if sc := bare.(*sockConn); !sc.last || corked(bare) {
		t.Errorf("a bare accepted connection: MSG_MORE %v, TCP_CORK %v; want MSG_MORE only", sc.last, corked(bare))
	}
	if _, err := bare.Write([]byte("HTTP/1.1 200 OK\r\n\r\nbody")); err != nil {
		t.Fatal(err)
	}
	bare.Close()
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := io.ReadAll(client); string(b) != "HTTP/1.1 200 OK\r\n\r\nbody" || err != nil {
		t.Errorf("the peer read %q, %v", b, err)
	}
	inner, _, _ := fastPair(t, "tcp", "127.0.0.1:0")
	dc := &DrainConn{Conn: &proxyConn{Conn: inner}, L: &DrainListener{}}
	CorkLast(bridge.NewConn(dc))
	if !inner.(*sockConn).last {
		t.Error("a connection under the bridge, drainConn and proxyConn was not held for its end")
	}
	// Joining the poller (a read that would block) turns it into TCP_CORK.
	inner.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	inner.Read(make([]byte, 1))
	if !corked(inner) {
		t.Error("a held connection that joined the poller was not corked")
	}
	// In the poller already: corked at once.
	polled, _, _ := fastPair(t, "tcp", "127.0.0.1:0")
	polled.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	polled.Read(make([]byte, 1))
	CorkLast(polled)
	if !corked(polled) {
		t.Error("a connection in the poller was not corked")
	}
}
