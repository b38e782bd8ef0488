// Package tlsconf reads the HTTPS options (--https-socket, SNI, client
// certificates, ciphers, ACME), loads the certificate files into one
// bundle, and builds a process's TLS configurations from a bundle.
//
// Guarantees: reading the options reads no file (CheckTLS can run before
// anything starts); a broken certificate file fails the bundle, so it
// never reaches a worker. It knows nothing of processes: the master
// passes bundles, the worker serves them.
package tlsconf
