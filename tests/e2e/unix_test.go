package e2e

import (
	"context"
	"net"
	"net/http"
)

// unixClient is an HTTP client whose every request goes to the unix socket path.
func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}
