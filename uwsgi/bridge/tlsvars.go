package bridge

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"strings"
)

// clientCertVars sets the variables uWSGI's HTTPS router sets for a
// client certificate: HTTPS_DN (the subject as OpenSSL's one-line form,
// /C=IT/O=Example/CN=name), HTTPS_CLIENT_CERTIFICATE (the DER bytes) and,
// with --https-export-cert, HTTPS_CC (PEM).
func clientCertVars(m map[string]string, c *x509.Certificate, export bool) {
	m["HTTPS_DN"] = oneLineDN(c)
	m["HTTPS_CLIENT_CERTIFICATE"] = string(c.Raw)
	if export {
		m["HTTPS_CC"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
}

// shortNames are OpenSSL's short names of the usual name attributes.
var shortNames = map[string]string{
	"2.5.4.6": "C", "2.5.4.8": "ST", "2.5.4.7": "L", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.9": "street", "2.5.4.17": "postalCode",
	"2.5.4.4": "SN", "2.5.4.42": "GN", "2.5.4.12": "title",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}

// oneLineDN writes the subject in certificate order, as X509_NAME_oneline.
func oneLineDN(c *x509.Certificate) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.RawSubject, &seq); err != nil {
		seq = c.Subject.ToRDNSequence()
	}
	var b strings.Builder
	for _, rdn := range seq {
		for _, atv := range rdn {
			name, ok := shortNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			b.WriteByte('/')
			b.WriteString(name)
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				b.WriteString(s)
			}
		}
	}
	return b.String()
}
