package tlsconf

import (
	"context"
	"crypto/tls"
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
// key take an exclusive lock on a file of the cache directory, held until
// the process stores the entry (or orderLockTimeout): the other workers
// wait, then read what it stored, so one order serves them all.
type orderLock struct {
	autocert.DirCache
	dir  string
	mu   sync.Mutex
	held map[string]*heldLock
}

type heldLock struct {
	f     *os.File
	timer *time.Timer
}

// Get implements autocert.Cache.
func (c *orderLock) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := c.DirCache.Get(ctx, name)
	if !errors.Is(err, autocert.ErrCacheMiss) || strings.HasSuffix(name, "+token") || strings.HasSuffix(name, "+http-01") {
		return data, err
	}
	c.mu.Lock()
	_, mine := c.held[name]
	c.mu.Unlock()
	if mine {
		return nil, err // this process orders it already
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
	if data, err := c.DirCache.Get(ctx, name); !errors.Is(err, autocert.ErrCacheMiss) {
		f.Close() // another worker stored it meanwhile
		return data, err
	}
	h := &heldLock{f: f}
	c.mu.Lock()
	c.held[name] = h
	h.timer = time.AfterFunc(orderLockTimeout, func() { c.release(name, h) })
	c.mu.Unlock()
	return nil, autocert.ErrCacheMiss
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
