package config

// tlsOptions are the HTTPS socket, SNI and --ssl-* options (docs/tls.md).
var tlsOptions = []Option{
	opt("https-socket", List, "", "bind to a socket speaking HTTPS: ADDR,CERT,KEY[,CIPHERS[,CLIENT_CA]] (a CLIENT_CA starting with ! makes client certificates required)").
		note("served by the workers like --http-socket; TLS 1.2 minimum; CIPHERS names OpenSSL TLS 1.2 suites Go implements securely; HTTP/2 through ALPN for net/http handlers (docs/tls.md)"),
	opt("https", List, "", "serve HTTPS on this address: ADDR,CERT,KEY[,CIPHERS[,CLIENT_CA]]").note("uWSGI starts an HTTPS router process; uwsgo's workers serve the address themselves, as one more --https-socket"),
	ignored("https-socket-modifier1", Int, "HTTPS sockets use --http-socket-modifier1"),
	ignored("https-socket-modifier2", Int, "HTTPS sockets use --http-socket-modifier2"),
	opt("sni", List, "", "add an SNI context: \"NAME CERT,KEY[,CIPHERS,CLIENT_CA]\""),
	opt("sni-regexp", List, "", "add an SNI context whose NAME is a regular expression: \"REGEXP CERT,KEY[,CIPHERS,CLIENT_CA]\""),
	opt("sni-dir", String, "", "look for NAME.crt, NAME.key (and NAME.ca) in this directory for an SNI name no --sni matched").
		note("read once per worker and name, at the first handshake asking for it"),
	opt("sni-dir-ciphers", String, "", "CIPHERS of the contexts made from --sni-dir"),
	opt("ssl-verify-depth", Int, "1", "maximum number of intermediate certificates between a client certificate and its CA").min(0),
	opt("ssl-verbose", Flag, "", "log every failed TLS handshake").note("uwsgo logs failed handshakes always, one line each; accepted"),
	opt("ssl-enable-tlsv1", Flag, "", "accept TLS 1.0 and 1.1 (insecure)").note("Go's TLS 1.0/1.1, with its default suites"),
	ignored("ssl-enable3", Flag, "Go's TLS has no SSLv3").alias("ssl-enable-sslv3"),
	ignored("ssl-option", List, "raw OpenSSL option numbers have no Go counterpart"),
	ignored("ssl-sessions-timeout", Int, "Go resumes sessions with tickets, whose keys rotate by themselves").alias("ssl-session-timeout"),
	ignored("ssl-sessions-use-cache", OptString, "Go resumes sessions with tickets, not a server-side cache").alias("ssl-session-use-cache"),
	ignored("ssl-tmp-dir", String, "a CERT, KEY or CLIENT_CA given as PEM text (starting with -----BEGIN) is read from memory; no file is written"),
	ignored("https-session-context", String, "session ids are Go's"),
	opt("acme-domain", List, "", "a domain the ACME mode (--https-socket ADDR,acme) gets certificates for").note("uwsgo's addition"),
	opt("acme-email", String, "", "contact address of the ACME account").note("uwsgo's addition"),
	opt("acme-cache", String, "", "directory keeping the ACME account key and certificates, shared by the workers").note("uwsgo's addition; writable by the workers' user"),
	opt("acme-directory", String, "https://acme-v02.api.letsencrypt.org/directory", "ACME directory URL of the CA").note("uwsgo's addition; the CA's HTTPS is verified with the system roots (SSL_CERT_FILE)"),
	opt("https-export-cert", Flag, "", "set HTTPS_CC (the client certificate in PEM) in the request variables"),
}
