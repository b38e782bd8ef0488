package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"reflect"
	"testing"
)

func TestSplitTLSFields(t *testing.T) {
	for _, c := range []struct {
		in   string
		want tlsSpec
		ok   bool
	}{
		{"c.pem,k.pem", tlsSpec{Cert: "c.pem", Key: "k.pem"}, true},
		{"c.pem,k.pem,HIGH", tlsSpec{Cert: "c.pem", Key: "k.pem", Ciphers: "HIGH"}, true},
		{"c.pem,k.pem,,ca.pem", tlsSpec{Cert: "c.pem", Key: "k.pem", ClientCA: "ca.pem"}, true},
		{"c.pem,k.pem,,!ca.pem", tlsSpec{Cert: "c.pem", Key: "k.pem", ClientCA: "ca.pem", RequireClient: true}, true},
		{"c.pem,k.pem,X,ca,with,commas", tlsSpec{Cert: "c.pem", Key: "k.pem", Ciphers: "X", ClientCA: "ca,with,commas"}, true},
		{"c.pem", tlsSpec{}, false},
		{",k.pem", tlsSpec{}, false},
	} {
		got, ok := splitTLSFields(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("splitTLSFields(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestMapCiphers(t *testing.T) {
	suites, ignored := mapCiphers("ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL:ECDHE-ECDSA-CHACHA20-POLY1305:RC4-SHA:TLS_AES_128_GCM_SHA256")
	if want := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}; !reflect.DeepEqual(suites, want) {
		t.Errorf("suites %v, want %v", suites, want)
	}
	if want := []string{"!aNULL", "HIGH", "RC4-SHA"}; !reflect.DeepEqual(ignored, want) {
		t.Errorf("ignored %v, want %v", ignored, want)
	}
}

func TestValidSNIName(t *testing.T) {
	for name, want := range map[string]bool{
		"example.com": true, "a-b.example.com": true, "xn--bcher-kva.example": true,
		"": false, "../etc/passwd": false, "a/b": false, ".hidden": false, "a..b": false, "a\x00b": false,
	} {
		if got := validSNIName(name); got != want {
			t.Errorf("validSNIName(%q) = %v", name, got)
		}
	}
}

func TestCheckDepth(t *testing.T) {
	tc := &TLSContexts{Conf: &TLSConf{verifyDepth: 1}}
	c := &x509.Certificate{}
	chain := func(n int) [][]*x509.Certificate { return [][]*x509.Certificate{make([]*x509.Certificate, n)} }
	for _, k := range []struct {
		peers  int
		chains [][]*x509.Certificate
		ok     bool
	}{
		{0, nil, true},       // no client certificate
		{1, nil, true},       // a resumption: verified when it was made
		{1, chain(2), true},  // leaf, CA
		{1, chain(3), true},  // leaf, one intermediate, CA
		{1, chain(4), false}, // two intermediates: over depth 1
		{1, append(chain(4), make([]*x509.Certificate, 3)), true}, // one chain short enough
	} {
		cs := tls.ConnectionState{VerifiedChains: k.chains}
		for range k.peers {
			cs.PeerCertificates = append(cs.PeerCertificates, c)
		}
		if err := tc.checkDepth(cs); (err == nil) != k.ok {
			t.Errorf("peers %d, chains %d: %v, want ok=%v", k.peers, len(k.chains), err, k.ok)
		}
	}
}
