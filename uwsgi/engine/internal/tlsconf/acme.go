package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
	"golang.org/x/sys/unix"
)

// acmeConf is the automatic certificate mode (--https-socket ADDR,acme).
type acmeConf struct {
	domains   []string
	email     string
	cache     string
	directory string
}

// acmeSpecField is the CERT field of an --https-socket in ACME mode.
const acmeSpecField = "acme"

// newACMEManager makes this process's certificate manager. Every worker
// has one, over the same cache directory: a certificate (or an account
// key) missing from it is ordered by one process at a time (orderLock),
// and the others find it in the cache; challenge answers are in the cache
// too, so any worker answers the CA's validation connection.
func newACMEManager(c *acmeConf) *autocert.Manager {
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      &orderLock{DirCache: autocert.DirCache(c.cache), dir: c.cache, held: map[string]*heldLock{}},
		HostPolicy: autocert.HostWhitelist(c.domains...),
		Email:      c.email,
		Client:     &acme.Client{DirectoryURL: c.directory},
	}
}

// acmeTLSConfig is an ACME socket's configuration: certificates from the
// manager, and the acme-tls/1 protocol for the TLS-ALPN-01 challenge.
func acmeTLSConfig(m *autocert.Manager, minVersion uint16, protos []string) *tls.Config {
	return &tls.Config{
		GetCertificate: acmeCertificate(m),
		MinVersion:     minVersion,
		NextProtos:     append(append([]string(nil), protos...), acme.ALPNProto),
	}
}

// acmeCertificate is the manager's GetCertificate. The first handshake
// naming a domain waits for the order (seconds, with a real CA): the
// connection's read deadline (--socket-timeout from the accept) starts
// again once the certificate is there, so that handshake is not cut.
func acmeCertificate(m *autocert.Manager) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := m.GetCertificate(hello)
		if dc, ok := hello.Conn.(*socket.DrainConn); ok && dc.L.HeaderTimeout > 0 {
			_ = dc.SetReadDeadline(time.Now().Add(dc.L.HeaderTimeout))
		}
		return cert, err
	}
}

// orderLockTimeout bounds how long a process holds the order lock of a
// name whose order failed (autocert says nothing on failure).
const orderLockTimeout = 2 * time.Minute

// orderLock is a DirCache whose misses of a certificate or of the account
// key, and whose certificates due for renewal, take an exclusive lock on a
// file of the cache directory, held until the process stores the entry (or
// orderLockTimeout): the other workers wait, then read what it stored, so
// one order serves them all.
//
// Renewals must not overlap either: every worker's renewal timer fires
// within the same seconds (they share one certificate), and two orders at
// once for one name each put their TLS-ALPN-01 answer under that one name,
// so the CA's validation connection for one order, reaching the other
// worker, got the other order's answer and failed it; autocert then waits
// 30-60 minutes before it tries again. Serialised, the second worker finds
// the first one's renewal in the cache and adopts it.
type orderLock struct {
	autocert.DirCache
	dir  string
	mu   sync.Mutex
	held map[string]*heldLock
	now  func() time.Time // time.Now; tests move it
}

type heldLock struct {
	f     *os.File
	timer *time.Timer
}

// Get implements autocert.Cache.
func (c *orderLock) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := c.DirCache.Get(ctx, name)
	if strings.HasSuffix(name, "+token") || strings.HasSuffix(name, "+http-01") || !c.orderComing(data, err) {
		return data, err
	}
	c.mu.Lock()
	_, mine := c.held[name]
	c.mu.Unlock()
	if mine {
		return data, err // this process orders it already
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(c.dir, ".order-"+strings.ReplaceAll(name, "/", "_")+".lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	for unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if data, err = c.DirCache.Get(ctx, name); !c.orderComing(data, err) {
		f.Close() // another worker stored it meanwhile
		return data, err
	}
	h := &heldLock{f: f}
	c.mu.Lock()
	c.held[name] = h
	h.timer = time.AfterFunc(orderLockTimeout, func() { c.release(name, h) })
	c.mu.Unlock()
	return data, err
}

// orderComing reports whether autocert orders after a Get that returned
// data and err: a miss, or a certificate within its renewal margin.
func (c *orderLock) orderComing(data []byte, err error) bool {
	if errors.Is(err, autocert.ErrCacheMiss) {
		return true
	}
	if err != nil {
		return false
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	return renewalDue(data, now())
}

// renewalDue reports whether the certificate in a cache entry (its key
// and chain in PEM, as autocert stores them) is within autocert's renewal
// margin at now: a third of its lifetime, at most 30 days (Manager's
// RenewBefore is not set), before it expires. autocert's renewal timer
// fires up to a tenth of that margin later (its jitter), and each such
// renewal orders a certificate; an entry that is not a certificate (the
// account key) is never due.
func renewalDue(data []byte, now time.Time) bool {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		leaf, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return false
		}
		margin := min(leaf.NotAfter.Sub(leaf.NotBefore)/3, 30*24*time.Hour)
		return !now.Before(leaf.NotAfter.Add(-margin))
	}
}

// Put implements autocert.Cache, releasing the order lock of name.
func (c *orderLock) Put(ctx context.Context, name string, data []byte) error {
	err := c.DirCache.Put(ctx, name, data)
	c.mu.Lock()
	h := c.held[name]
	c.mu.Unlock()
	if h != nil {
		c.release(name, h)
	}
	return err
}

func (c *orderLock) release(name string, h *heldLock) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[name] != h {
		return
	}
	delete(c.held, name)
	h.timer.Stop()
	h.f.Close() // drops the flock
}

// readACMEConf reads the --acme-* options; nil when no socket uses ACME.
func readACMEConf(domains []string, email, cache, directory string, used bool) (*acmeConf, error) {
	if !used {
		return nil, nil
	}
	if len(domains) == 0 {
		return nil, fmt.Errorf("uwsgi: --https-socket ADDR,acme needs at least one --acme-domain")
	}
	if cache == "" {
		return nil, fmt.Errorf("uwsgi: --https-socket ADDR,acme needs --acme-cache DIR (shared by the workers, kept across restarts)")
	}
	if directory == "" {
		directory = acme.LetsEncryptURL
	}
	return &acmeConf{domains: domains, email: email, cache: cache, directory: directory}, nil
}
