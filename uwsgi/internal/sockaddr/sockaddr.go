// Package sockaddr holds uWSGI's one rule for socket addresses: a name
// with a colon is a TCP address ("host:port", ":port"), unless it starts
// with "/" (a unix socket path, which may hold colons) or "@" (a Linux
// abstract unix socket); anything else is a unix socket path. Sockets,
// the stats server, RPC and remote cache nodes and the Emperor's stats
// all read addresses by it.
package sockaddr

import "strings"

// Network is "tcp" or "unix" for the address name.
func Network(name string) string {
	if strings.Contains(name, ":") && !strings.HasPrefix(name, "@") && !strings.HasPrefix(name, "/") {
		return "tcp"
	}
	return "unix"
}
