package socket

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// lazyPair accepts one loopback connection through a drainListener.
func lazyPair(t *testing.T) (*DrainConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dl := NewDrainListener(ln, nil)
	t.Cleanup(func() { _ = ln.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c, err := dl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*DrainConn), client
}

func TestLazyDeadlineExpiresABlockedRead(t *testing.T) {
	c, _ := lazyPair(t)
	if err := c.SetReadDeadline(time.Now().Add(preciseDeadline + deadlineTick)); err != nil {
		t.Fatal(err)
	}
	if got := c.rd.at.Load(); got <= 0 {
		t.Fatalf("a deadline %v away went to the real connection (state %d), want it kept lazily", preciseDeadline+deadlineTick, got)
	}
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read error %v, want a deadline timeout", err)
	}
}

func TestLazyDeadlineClearedBeforeItFires(t *testing.T) {
	c, client := lazyPair(t)
	_ = c.SetReadDeadline(time.Now().Add(preciseDeadline + deadlineTick))
	_ = c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(preciseDeadline + 4*deadlineTick)
		_, _ = client.Write([]byte("x"))
	}()
	if _, err := c.Read(make([]byte, 1)); err != nil {
		t.Fatalf("read with the deadline cleared: %v", err)
	}
}

// A past deadline aborts a read at once (the bridge's way to stop its
// background read); a later deadline must clear it from the real connection.
func TestLazyDeadlinePastThenFuture(t *testing.T) {
	c, client := lazyPair(t)
	_ = c.SetReadDeadline(time.Unix(1, 0))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after a past deadline: %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	_, _ = client.Write([]byte("x"))
	if _, err := c.Read(make([]byte, 1)); err != nil {
		t.Fatalf("read after a new deadline: %v", err)
	}
}

// Once the watchdog expired a deadline, setting a new one makes reads work
// again, as with a real connection.
func TestLazyDeadlineRenewedAfterFiring(t *testing.T) {
	c, client := lazyPair(t)
	_ = c.SetReadDeadline(time.Now().Add(preciseDeadline + deadlineTick))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("first read: %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	_, _ = client.Write([]byte("y"))
	b := make([]byte, 1)
	if _, err := c.Read(b); err != nil || b[0] != 'y' {
		t.Fatalf("read after renewing: %q %v", b, err)
	}
}

// The watchdog stops when the listener has no connection left.
func TestLazyDeadlineWatchdogStops(t *testing.T) {
	c, _ := lazyPair(t)
	_ = c.Close()
	for range 50 {
		time.Sleep(deadlineTick)
		c.L.mu.Lock()
		watching := c.L.watching
		c.L.mu.Unlock()
		if !watching {
			return
		}
	}
	t.Fatal("the deadline watchdog still runs with no connection open")
}

func BenchmarkSetReadDeadline(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, _ := net.Dial("tcp", ln.Addr().String())
	defer client.Close()
	raw, _ := ln.Accept()
	defer raw.Close()
	dc := &DrainConn{Conn: raw, L: &DrainListener{}}
	dc.L.clock.Store(time.Now().UnixNano())
	t := time.Now().Add(time.Minute)
	b.Run("real", func(b *testing.B) {
		for range b.N {
			_ = raw.SetReadDeadline(t)
		}
	})
	b.Run("lazy", func(b *testing.B) {
		for range b.N {
			_ = dc.SetReadDeadline(t)
		}
	})
}
