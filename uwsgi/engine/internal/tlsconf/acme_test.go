package tlsconf

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"
)

// TestOrderLockOneOrder: two workers' caches over one directory (two lock
// descriptors, as two processes have): the first miss takes the order
// lock, the second Get waits and then reads what the first stored.
func TestOrderLockOneOrder(t *testing.T) {
	dir := t.TempDir()
	a := &orderLock{DirCache: autocert.DirCache(dir), dir: dir, held: map[string]*heldLock{}}
	b := &orderLock{DirCache: autocert.DirCache(dir), dir: dir, held: map[string]*heldLock{}}
	ctx := context.Background()
	if _, err := a.Get(ctx, "example.com"); !errors.Is(err, autocert.ErrCacheMiss) {
		t.Fatalf("first Get: %v, want a miss", err)
	}
	got := make(chan string, 1)
	go func() {
		data, err := b.Get(ctx, "example.com")
		got <- string(data) + "|" + errorString(err)
	}()
	select {
	case g := <-got:
		t.Fatalf("the second worker did not wait for the order: %q", g)
	case <-time.After(300 * time.Millisecond):
	}
	if err := a.Put(ctx, "example.com", []byte("cert")); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if g != "cert|" {
			t.Fatalf("the second worker got %q, want the stored certificate", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second worker still waits after the Put")
	}
	// Tokens never wait.
	if _, err := b.Get(ctx, "example.com+token"); !errors.Is(err, autocert.ErrCacheMiss) {
		t.Fatalf("token Get: %v", err)
	}
	// A waiter gives up with its context.
	if _, err := a.Get(ctx, "other.com"); !errors.Is(err, autocert.ErrCacheMiss) {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.Get(short, "other.com"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting Get with an expired context: %v", err)
	}
}

func errorString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
