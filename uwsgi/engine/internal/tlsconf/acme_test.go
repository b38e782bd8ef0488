package tlsconf

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
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
	if g := waitingGet(t, b, "example.com", func() { _ = a.Put(ctx, "example.com", []byte("cert")) }); g != "cert|" {
		t.Fatalf("the second worker got %q, want the stored certificate", g)
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

// waitingGet is c.Get(name) from another goroutine: it must still wait
// 300 ms on, and return once store ran; it returns "data|error".
func waitingGet(t *testing.T, c *orderLock, name string, store func()) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		data, err := c.Get(context.Background(), name)
		got <- string(data) + "|" + errorString(err)
	}()
	select {
	case g := <-got:
		t.Fatalf("the second worker did not wait for the order: %q", g)
	case <-time.After(300 * time.Millisecond):
	}
	store()
	select {
	case g := <-got:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("the second worker still waits after the entry was stored")
	}
	return ""
}

func errorString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// certEntry is a cache entry as autocert writes one: the key, then the
// certificate, valid from notBefore to notAfter.
func certEntry(t *testing.T, notBefore, notAfter time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"example.com"},
		NotBefore: notBefore, NotAfter: notAfter}, &x509.Certificate{SerialNumber: big.NewInt(1)}, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
}

// TestOrderLockRenewal: renewals are ordered one worker at a time too. A
// certificate within its renewal margin (the last third of its lifetime)
// takes the order lock like a miss: the second worker's Get waits for the
// first worker's renewal and reads it, where both ordered at once and the
// CA's TLS-ALPN-01 validation of one order could reach the other worker
// and fail. A certificate outside the margin is read without the lock.
func TestOrderLockRenewal(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	clock := func() time.Time { return now }
	a := &orderLock{DirCache: autocert.DirCache(dir), dir: dir, held: map[string]*heldLock{}, now: clock}
	b := &orderLock{DirCache: autocert.DirCache(dir), dir: dir, held: map[string]*heldLock{}, now: clock}
	ctx := context.Background()
	old := certEntry(t, now.Add(-40*time.Second), now.Add(5*time.Second)) // 45 s, 5 s left: due
	fresh := certEntry(t, now, now.Add(45*time.Second))
	if renewalDue(fresh, now) || !renewalDue(old, now) || renewalDue([]byte("not pem"), now) {
		t.Fatal("renewalDue: want fresh not due, old due, garbage not due")
	}
	if err := a.DirCache.Put(ctx, "example.com", old); err != nil {
		t.Fatal(err)
	}
	if data, err := a.Get(ctx, "example.com"); err != nil || string(data) != string(old) {
		t.Fatalf("first worker's Get of a due certificate: %v, want it", err)
	}
	if g := waitingGet(t, b, "example.com", func() { _ = a.Put(ctx, "example.com", fresh) }); g != string(fresh)+"|" {
		t.Fatal("the second worker did not read the first one's renewal")
	}
	// Outside the margin, no lock: a third worker reads at once while b
	// would hold it.
	if data, err := a.Get(ctx, "example.com"); err != nil || string(data) != string(fresh) {
		t.Fatalf("Get of a fresh certificate: %v", err)
	}
	if len(a.held) != 0 || len(b.held) != 0 {
		t.Fatalf("locks held after the renewal: %d, %d", len(a.held), len(b.held))
	}
}
