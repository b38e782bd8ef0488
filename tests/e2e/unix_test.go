package e2e

import (
	"context"
	"net"
	"net/http"
	"time"
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

// nil2 is a plain client with a timeout.
func nil2() *http.Client { return &http.Client{Timeout: 30 * time.Second} }
