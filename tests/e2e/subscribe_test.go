package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// routedVersion asks the fastrouter for /version under key and returns the
// answering instance's pid ("" on error).
func routedVersion(front, key string) (string, error) {
	vars := getVars("/version")
	vars["HTTP_HOST"] = key
	resp, b, err := uwsgiRequest("tcp", front, vars, nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return "", fmt.Errorf("body %q", b)
	}
	return f[1], nil // the worker's pid
}

// subscribed starts a uwsgo instance that subscribes to the router.
func subscribed(t *testing.T, subServer, key string) (*proc, string) {
	t.Helper()
	sock := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := start(t, bins.testapp, nil, "--socket", sock, "--master", "--processes", "1", "--subscribe-to", subServer+":"+key, "--disable-logging")
	waitDial(t, "tcp", sock, p)
	p.waitLog("subscribing to "+subServer+":"+key, 10*time.Second)
	return p, sock
}

// spread sends n requests and counts answers per worker pid.
func spread(t *testing.T, front, key string, n int) (map[string]int, int) {
	t.Helper()
	seen, failed := map[string]int{}, 0
	for range n {
		pid, err := routedVersion(front, key)
		if err != nil {
			failed++
			continue
		}
		seen[pid]++
	}
	return seen, failed
}

func TestFastrouterSubscriptions(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	front := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	subs := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := start(t, uw, nil, "--plugin", "fastrouter", "--master", "--fastrouter", front, "--fastrouter-subscription-server", subs)
	waitDial(t, "tcp", front, r)
	a, _ := subscribed(t, subs, "example.com")
	b, _ := subscribed(t, subs, "example.com")
	r.waitLog("example.com => new node", 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(r.log.String(), "=> new node") < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	seen, failed := spread(t, front, "example.com", 40)
	if len(seen) != 2 || failed != 0 {
		t.Fatalf("load not spread over both instances: %v, %d failed", seen, failed)
	}
	// A 1 MiB POST routed to a subscribed instance is echoed intact.
	checkRouted(t, func(method, path string, body []byte) (int, []byte) {
		vars := getVars(path)
		vars["REQUEST_METHOD"], vars["HTTP_HOST"] = method, "example.com"
		if len(body) > 0 {
			vars["CONTENT_LENGTH"] = fmt.Sprint(len(body))
		}
		resp, out, err := uwsgiRequest("tcp", front, vars, body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	})
	// SIGINT one instance: it unsubscribes, every request goes to the other.
	a.signal(syscall.SIGINT)
	a.wait(10 * time.Second)
	time.Sleep(300 * time.Millisecond)
	seen, failed = spread(t, front, "example.com", 30)
	if len(seen) != 1 || failed != 0 {
		t.Fatalf("after one instance left: %v, %d failed", seen, failed)
	}
	// A third instance joins without touching the router.
	subscribed(t, subs, "example.com")
	deadline = time.Now().Add(10 * time.Second)
	for {
		if seen, _ = spread(t, front, "example.com", 20); len(seen) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the third instance got no traffic: %v", seen)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A graceful reload of a subscribed instance loses no request through the router.
	done := make(chan [2]int)
	go func() {
		ok, bad := 0, 0
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
			if _, err := routedVersion(front, "example.com"); err != nil {
				bad++
			} else {
				ok++
			}
		}
		done <- [2]int{ok, bad}
	}()
	time.Sleep(500 * time.Millisecond)
	b.signal(syscall.SIGHUP)
	res := <-done
	if res[1] != 0 || res[0] == 0 {
		t.Fatalf("through the router across a reload: %d ok, %d failed", res[0], res[1])
	}
}

func TestHTTPRouterSubscriptions(t *testing.T) {
	uw := requirePeer(t, "uwsgi")
	front := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	subs := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := start(t, uw, nil, "--plugin", "http", "--master", "--http", front, "--http-subscription-server", subs)
	waitDial(t, "tcp", front, r)
	subscribed(t, subs, "app.test")
	subscribed(t, subs, "app.test")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(r.log.String(), "=> new node") < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[string]bool{}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 40 {
		req, _ := http.NewRequest("GET", "http://"+front+"/version", nil)
		req.Host = "app.test"
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 64)
		n, _ := resp.Body.Read(b)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b[:n])
		}
		seen[strings.Fields(string(b[:n]))[1]] = true
	}
	if len(seen) != 2 {
		t.Fatalf("the HTTP router used %d instances, want 2", len(seen))
	}
}
