package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"golang.org/x/crypto/acme/autocert"
)

// TLSContexts are the TLS configurations of one process: one per
// --https-socket, one per --sni/--sni-regexp, and those made on demand
// from --sni-dir.
type TLSContexts struct {
	Conf    *TLSConf
	protos  []string // ALPN protocols offered, in preference order
	Sockets []*tls.Config
	byName  map[string]*tls.Config
	byRe    []*tls.Config // parallel to the --sni-regexp entries of conf.sni
	log     *logger.Logger
	// dir caches the --sni-dir contexts made so far (nil: the files are
	// broken, logged once). Only names with files on disk get an entry.
	dirMu sync.Mutex
	dir   map[string]*tls.Config
	// acme is the process's ACME certificate manager (nil without ACME).
	ACME *autocert.Manager
}

// BuildTLSContexts makes every context from the bundle. warn logs the
// options Go cannot honour (once per instance: the master or the single
// process passes true, workers false).
func BuildTLSContexts(c *TLSConf, b TLSBundle, protos []string, log *logger.Logger, warn bool) (*TLSContexts, error) {
	t := &TLSContexts{Conf: c, protos: protos, byName: map[string]*tls.Config{}, log: log, dir: map[string]*tls.Config{}}
	for i, s := range c.sockets {
		if s.ACME {
			if t.ACME == nil {
				t.ACME = newACMEManager(c.acme)
			}
			t.Sockets = append(t.Sockets, acmeTLSConfig(t.ACME, c.minVersion, protos))
			continue
		}
		cfg, err := t.newConfig(fmt.Sprintf("https-socket %d", i), s, b, warn)
		if err != nil {
			return nil, err
		}
		if len(c.sni) > 0 || c.sniDir != "" {
			cfg.GetConfigForClient = t.forClient
		}
		t.Sockets = append(t.Sockets, cfg)
	}
	for _, sn := range c.sni {
		cfg, err := t.newConfig(sn.key, sn.spec, b, warn)
		if err != nil {
			return nil, err
		}
		if sn.re != nil {
			t.byRe = append(t.byRe, cfg)
		} else {
			t.byName[sn.key] = cfg
		}
	}
	return t, nil
}

// newConfig makes the context called name (as uWSGI names them in its
// errors) from a spec.
func (t *TLSContexts) newConfig(name string, s tlsSpec, b TLSBundle, warn bool) (*tls.Config, error) {
	chain, key := b.pem(s.Cert), b.pem(s.Key)
	if blk, _ := pem.Decode(chain); blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("uwsgi: TLS: unable to assign certificate %s for context %q: no PEM certificate in it", shortRef(s.Cert), name)
	}
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("uwsgi: TLS: unable to assign key %s (certificate %s) for context %q: %v", shortRef(s.Key), shortRef(s.Cert), name, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   t.Conf.minVersion,
		NextProtos:   t.protos,
	}
	if s.Ciphers != "" {
		suites, ignored := mapCiphers(s.Ciphers)
		cfg.CipherSuites = suites
		if warn && len(ignored) > 0 {
			what := "the rest is used"
			if len(suites) == 0 {
				what = "Go's default suites are used"
			}
			t.log.Printf("uwsgi: TLS context %q: cipher list entries Go cannot honour are ignored (%s): %s",
				name, what, strings.Join(ignored, ":"))
		}
	}
	if s.ClientCA != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b.pem(s.ClientCA)) {
			return nil, fmt.Errorf("uwsgi: TLS: unable to set ssl verify locations (%s) for context %q: no PEM certificate in it", shortRef(s.ClientCA), name)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if s.RequireClient {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
		cfg.VerifyConnection = t.checkDepth
	}
	return cfg, nil
}

// shortRef names a spec field in an error: its path, or "(inline PEM)".
func shortRef(ref string) string {
	if isInlinePEM(ref) {
		return "(inline PEM)"
	}
	return ref
}

// errTooDeep is a client chain longer than --ssl-verify-depth allows.
var errTooDeep = errors.New("client certificate chain longer than --ssl-verify-depth")

// checkDepth applies --ssl-verify-depth as OpenSSL counts it: depth d
// allows d intermediate certificates between the peer's and the trust
// anchor, that is chains of up to d+2 certificates.
func (t *TLSContexts) checkDepth(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 || len(cs.VerifiedChains) == 0 {
		return nil // no certificate, or a resumption without its chains: verified when it was made
	}
	for _, chain := range cs.VerifiedChains {
		if len(chain) <= t.Conf.verifyDepth+2 {
			return nil
		}
	}
	return errTooDeep
}

// forClient picks the SNI context of a handshake, as uWSGI: the --sni
// names first, then the --sni-regexp patterns, then --sni-dir; nil keeps
// the socket's own context.
func (t *TLSContexts) forClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	name := strings.ToLower(hello.ServerName)
	if name == "" {
		return nil, nil
	}
	if cfg := t.byName[name]; cfg != nil {
		return cfg, nil
	}
	i := 0
	for _, sn := range t.Conf.sni {
		if sn.re == nil {
			continue
		}
		if sn.re.MatchString(name) {
			return t.byRe[i], nil
		}
		i++
	}
	if t.Conf.sniDir != "" {
		return t.fromDir(name), nil
	}
	return nil, nil
}

// validSNIName accepts what can be a host name: no path separators, no
// "..", so that --sni-dir never opens a file outside its directory.
func validSNIName(name string) bool {
	if len(name) == 0 || len(name) > 253 || name[0] == '.' || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '*') {
			return false
		}
	}
	return true
}

// fromDir makes (once per name) the context of NAME.crt and NAME.key in
// --sni-dir, with NAME.ca as an optional client CA, as uWSGI does.
func (t *TLSContexts) fromDir(name string) *tls.Config {
	if !validSNIName(name) {
		return nil
	}
	t.dirMu.Lock()
	defer t.dirMu.Unlock()
	if cfg, ok := t.dir[name]; ok {
		return cfg
	}
	base := filepath.Join(t.Conf.sniDir, name)
	crt, key, ca := base+".crt", base+".key", base+".ca"
	if !fileExists(crt) || !fileExists(key) {
		return nil // no entry: a name without files costs two stat calls
	}
	spec := tlsSpec{Cert: crt, Key: key, Ciphers: t.Conf.sniDirCiphers}
	if fileExists(ca) {
		spec.ClientCA = ca
	}
	b, err := ReadTLSBundle(&TLSConf{sockets: []tlsSpec{spec}})
	var cfg *tls.Config
	if err == nil {
		cfg, err = t.newConfig(name, spec, b, false)
	}
	if err != nil {
		t.log.Printf("%v (--sni-dir; the socket's own certificate is used for %s)", err, name)
		cfg = nil
	}
	t.dir[name] = cfg
	return cfg
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
