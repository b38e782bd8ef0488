package tlsconf

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/internal/shm"
)

// tlsSpec is the TLS part of one --https-socket or --sni: the certificate
// chain, its key and the client CA (each a path, or PEM text), and the
// OpenSSL cipher list.
type tlsSpec struct {
	Cert, Key, Ciphers, ClientCA string
	// RequireClient: the CLIENT_CA started with "!" (uWSGI's
	// SSL_VERIFY_FAIL_IF_NO_PEER_CERT); otherwise a client certificate is
	// optional and verified when given.
	RequireClient bool
	// ACME: the socket's certificates come from the ACME CA (ADDR,acme).
	ACME bool
}

// sniSpec is one --sni (a name) or --sni-regexp.
type sniSpec struct {
	key  string
	re   *regexp.Regexp
	spec tlsSpec
}

// TLSConf is the TLS configuration of the instance: the --https-socket
// specs in order, the SNI contexts and the --ssl-* settings.
type TLSConf struct {
	sockets       []tlsSpec
	sni           []sniSpec
	sniDir        string
	sniDirCiphers string
	minVersion    uint16
	verifyDepth   int
	ExportCert    bool
	acme          *acmeConf // nil unless a socket is ADDR,acme
}

// splitTLSFields parses "CERT,KEY[,CIPHERS[,CLIENT_CA]]" as uWSGI does:
// the client CA is everything after the third comma.
func splitTLSFields(v string) (tlsSpec, bool) {
	f := strings.SplitN(v, ",", 4)
	if len(f) < 2 || f[0] == "" || f[1] == "" {
		return tlsSpec{}, false
	}
	s := tlsSpec{Cert: f[0], Key: f[1]}
	if len(f) > 2 {
		s.Ciphers = f[2]
	}
	if len(f) > 3 && f[3] != "" {
		s.ClientCA = f[3]
		if strings.HasPrefix(s.ClientCA, "!") {
			s.ClientCA, s.RequireClient = s.ClientCA[1:], true
		}
	}
	return s, true
}

// ReadTLSConf reads the TLS options; it reads no file.
func ReadTLSConf(cfg *config.Config) (*TLSConf, error) {
	c := &TLSConf{minVersion: tls.VersionTLS12, verifyDepth: cfg.Int("ssl-verify-depth"),
		sniDir: cfg.String("sni-dir"), sniDirCiphers: cfg.String("sni-dir-ciphers"), ExportCert: cfg.Bool("https-export-cert")}
	if cfg.Bool("ssl-enable-tlsv1") {
		c.minVersion = tls.VersionTLS10
	}
	usesACME := false
	for _, v := range socket.HttpsValues(cfg) {
		_, rest, _ := strings.Cut(v, ",")
		if rest == acmeSpecField {
			c.sockets, usesACME = append(c.sockets, tlsSpec{ACME: true}), true
			continue
		}
		s, ok := splitTLSFields(rest)
		if !ok || socket.HttpsSocketName(v) == "" {
			return nil, fmt.Errorf("uwsgi: invalid https-socket syntax %q: must be socket,crt,key[,ciphers[,client_ca]]", v)
		}
		c.sockets = append(c.sockets, s)
	}
	var err error
	if c.acme, err = readACMEConf(cfg.Strings("acme-domain"), cfg.String("acme-email"), cfg.String("acme-cache"), cfg.String("acme-directory"), usesACME); err != nil {
		return nil, err
	}
	for _, opt := range []string{"sni", "sni-regexp"} {
		for _, v := range cfg.Strings(opt) {
			key, rest, ok := strings.Cut(v, " ")
			s, ok2 := splitTLSFields(rest)
			if !ok || !ok2 || key == "" {
				return nil, fmt.Errorf("uwsgi: invalid %s syntax %q: must be sni_key<space>crt,key[,ciphers,client_ca]", opt, v)
			}
			sn := sniSpec{key: strings.ToLower(key), spec: s}
			if opt == "sni-regexp" {
				re, err := regexp.Compile(key)
				if err != nil {
					return nil, fmt.Errorf("uwsgi: --sni-regexp %q: %v", key, err)
				}
				sn.re = re
			}
			c.sni = append(c.sni, sn)
		}
	}
	return c, nil
}

// CheckTLS rejects malformed TLS options before anything starts.
func CheckTLS(cfg *config.Config) error {
	_, err := ReadTLSConf(cfg)
	return err
}

// Enabled reports whether the instance has an HTTPS socket.
func (c *TLSConf) Enabled() bool { return len(c.sockets) > 0 }

// paths lists the files the contexts are made of (PEM text given inline
// needs none), each once.
func (c *TLSConf) paths() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s tlsSpec) {
		for _, p := range []string{s.Cert, s.Key, s.ClientCA} {
			if p != "" && !isInlinePEM(p) && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	for _, s := range c.sockets {
		if !s.ACME {
			add(s)
		}
	}
	for _, s := range c.sni {
		add(s.spec)
	}
	return out
}

func isInlinePEM(s string) bool { return strings.HasPrefix(s, "-----BEGIN ") }

// TLSBundle holds the contents of the certificate, key and CA files, by
// path. The master reads them (at start and at each graceful reload) and
// hands them to its workers, so that a worker never reads a file the
// master did not validate: a file broken at reload time leaves the
// workers on the last good bundle.
type TLSBundle map[string][]byte

// ReadTLSBundle reads every file of c; the error names the file.
func ReadTLSBundle(c *TLSConf) (TLSBundle, error) {
	b := TLSBundle{}
	for _, p := range c.paths() {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: TLS: unable to read %s: %v", p, err)
		}
		b[p] = data
	}
	return b, nil
}

// pem is the PEM text a spec field names.
func (b TLSBundle) pem(ref string) []byte {
	if isInlinePEM(ref) {
		return []byte(ref)
	}
	return b[ref]
}

// File writes the bundle to a sealed-off memory file for the workers.
func (b TLSBundle) File() (*os.File, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	f, err := shm.NewFile("uwsgo-tls", int64(len(data)))
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// BundleFromFile reads a bundle written by file.
func BundleFromFile(f *os.File) (TLSBundle, error) {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	if err != nil {
		return nil, err
	}
	var b TLSBundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("TLS bundle: %v", err)
	}
	return b, nil
}

// goCipherSuites maps OpenSSL's names of the TLS 1.2 suites to Go's IDs;
// init keeps only those Go counts as secure (tls.CipherSuites).
var goCipherSuites = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

func init() {
	secure := map[uint16]bool{}
	for _, s := range tls.CipherSuites() {
		secure[s.ID] = true
	}
	for name, id := range goCipherSuites {
		if !secure[id] {
			delete(goCipherSuites, name)
		}
	}
}

// mapCiphers turns an OpenSSL cipher list into Go's suites. Entries Go
// cannot honour (keywords such as HIGH or !aNULL, insecure or unknown
// suites) are returned in ignored; no suite at all means Go's defaults.
// TLS 1.3 suites are not configurable in Go and always on.
func mapCiphers(list string) (suites []uint16, ignored []string) {
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := goCipherSuites[name]; ok {
			suites = append(suites, id)
			continue
		}
		if strings.HasPrefix(name, "TLS_AES_") || strings.HasPrefix(name, "TLS_CHACHA20_") {
			continue // TLS 1.3: Go's are always on
		}
		ignored = append(ignored, name)
	}
	sort.Strings(ignored)
	return suites, ignored
}
