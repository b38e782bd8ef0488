package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// TestUwsgiConnectionHeaderAsNetHTTP: a request through the uwsgi socket
// (--master --processes 2, as nginx's uwsgi_pass sends it: the client's
// Connection header as HTTP_CONNECTION) shows the handler the Connection
// header the client sent, as plain net/http does for the same client
// request: none when none was sent, although every uwsgi connection ends
// with its request.
func TestUwsgiConnectionHeaderAsNetHTTP(t *testing.T) {
	_, _, uaddr, _ := masterServer(t, nil, "--processes", "2")
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header["Connection"])
	}))
	defer plain.Close()
	for _, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
		for _, conn := range []string{"", "keep-alive", "close", "Keep-Alive, Upgrade"} {
			// plain net/http, from the raw request
			c, err := net.Dial("tcp", plain.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			raw := fmt.Sprintf("GET /vars %s\r\nHost: x\r\n", proto)
			if conn != "" {
				raw += "Connection: " + conn + "\r\n"
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprint(c, raw+"\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			json.NewDecoder(resp.Body).Decode(&want)
			c.Close()
			// uwsgo's uwsgi socket
			vars := map[string]string{"REQUEST_METHOD": "GET", "PATH_INFO": "/vars", "REQUEST_URI": "/vars",
				"SERVER_PROTOCOL": proto, "HTTP_HOST": "x"}
			if conn != "" {
				vars["HTTP_CONNECTION"] = conn
			}
			_, body, err := uwsgiRequest("tcp", uaddr, vars, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Header map[string][]string `json:"header"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%s %q: %v: %s", proto, conn, err, body)
			}
			if !slices.Equal(got.Header["Connection"], want) {
				t.Errorf("%s, Connection %q: uwsgo's handler saw %q, net/http's %q", proto, conn, got.Header["Connection"], want)
			}
		}
	}
}
