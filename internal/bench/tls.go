package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// cert writes (once) the self-signed ECDSA P-256 certificate every HTTPS
// row serves, nginx and uwsgo alike.
func (b *bench) cert() (crt, key string) {
	crt, key = filepath.Join(b.dir, "bench.crt"), filepath.Join(b.dir, "bench.key")
	if _, err := os.Stat(crt); err == nil {
		return crt, key
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	_ = os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return crt, key
}

// nginxSSL is the ssl part of an nginx server block with the bench's
// certificate (TLS 1.2 and 1.3, as uwsgo's defaults).
func (b *bench) nginxSSL() string {
	crt, key := b.cert()
	return fmt.Sprintf("ssl_certificate %s; ssl_certificate_key %s; ssl_protocols TLSv1.2 TLSv1.3;", crt, key)
}

// nginxReturn runs nginx itself terminating TLS and answering the hello
// page from its configuration (return 200).
func (b *bench) nginxReturn() func(port int) *exec.Cmd {
	return func(port int) *exec.Cmd {
		cdir, _ := os.MkdirTemp(b.dir, "nginx-ssl-")
		conf := fmt.Sprintf(`daemon off; master_process off; worker_processes 1;
error_log %[1]s/error.log; pid %[1]s/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off; client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;
  server { listen 127.0.0.1:%[2]d ssl; %[3]s
    location / { default_type "text/html; charset=utf-8"; return 200 "<h1>Hello World</h1>"; } }
}
`, cdir, port, b.nginxSSL())
		path := filepath.Join(cdir, "nginx.conf")
		_ = os.WriteFile(path, []byte(conf), 0o644)
		if _, err := exec.LookPath("nginx"); err != nil {
			return exec.Command("false")
		}
		return pinned("0", "nginx", "-c", path, "-e", filepath.Join(cdir, "error.log"))
	}
}

// nginxTLS is nginx terminating TLS in front of the backend, with
// upstream keep-alive.
func (b *bench) nginxTLS() func(port, backend int) (*exec.Cmd, func(), error) {
	return b.nginxFront(" ssl", b.nginxSSL(), `proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";`)
}
