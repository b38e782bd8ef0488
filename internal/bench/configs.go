package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

func configs(b *bench) []config {
	addr := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	uwsgoOn := func(cpus, bin string, env []string, extra ...string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd {
			args := append([]string{b.bin(bin), "--http-socket", addr(port), "--goroutines", "100"}, extra...)
			cmd := pinned(cpus, args...)
			cmd.Env = append(os.Environ(), env...)
			return cmd
		}
	}
	uwsgo := func(bin string, env []string, extra ...string) func(int) *exec.Cmd {
		return uwsgoOn("0", bin, env, extra...)
	}
	const one, two = "uwsgo --master --processes 1, CPU-bound handler, 1 CPU", "uwsgo --master --processes 2, CPU-bound handler, 2 CPUs"
	plain := func(bin string) func(int) *exec.Cmd {
		return func(port int) *exec.Cmd { return pinned("0", b.bin(bin), addr(port)) }
	}
	assets := b.assets()
	uwsgoSocket := func(port int) *exec.Cmd {
		return pinned("0", b.bin("hello"), "--socket", addr(port), "--goroutines", "100", "--disable-logging")
	}
	// Each row follows its baseline where it can (see runOrder).
	return []config{
		{name: "net/http", baseline: "net/http", server: plain("nethttp"), path: "/view/"},
		{name: "uwsgo RunHandler", baseline: "net/http", server: uwsgo("hello", nil, "--disable-logging"), path: "/view/"},
		{name: "uwsgo RunHandler, request log on", baseline: "uwsgo RunHandler", server: uwsgo("hello", nil), path: "/view/"},
		{name: "uwsgo RunHandler --reuse-requests", baseline: "net/http", server: uwsgo("hello", nil, "--disable-logging", "--reuse-requests"), path: "/view/"},
		{name: "fasthttp", baseline: "net/http", server: plain("fasthttp"), path: "/view/"},
		{name: "uwsgo RunFast", baseline: "fasthttp", server: uwsgo("testapp", []string{"TESTAPP_FAST=1"}, "--disable-logging"), path: "/view/"},
		{name: "net/http, Connection: close", baseline: "net/http, Connection: close", server: plain("nethttp"), path: "/view/", close: true},
		{name: "uwsgo RunHandler, Connection: close", baseline: "net/http, Connection: close", server: uwsgo("hello", nil, "--disable-logging"), path: "/view/", close: true},
		{name: "nginx proxy_pass → net/http", baseline: "nginx proxy_pass → net/http", server: plain("nethttp"), front: b.nginx(false, false), path: "/view/"},
		{name: "nginx uwsgi_pass → uwsgo --socket", baseline: "nginx proxy_pass → net/http", server: uwsgoSocket, front: b.nginx(true, false), path: "/view/"},
		{name: "nginx proxy_pass, upstream keep-alive → net/http", baseline: "nginx proxy_pass, upstream keep-alive → net/http", server: plain("nethttp"), front: b.nginx(false, true), path: "/view/"},
		{name: "nginx proxy_pass, upstream keep-alive → uwsgo --http-socket", baseline: "nginx proxy_pass, upstream keep-alive → net/http", server: uwsgo("hello", nil, "--disable-logging"), front: b.nginx(false, true), path: "/view/"},
		{name: "nginx static file (16 KiB)", baseline: "nginx static file (16 KiB)", server: b.nginxStatic(assets), path: "/static/asset.css"},
		{name: "uwsgo --static-map (16 KiB)", baseline: "nginx static file (16 KiB)", server: uwsgo("hello", nil, "--disable-logging", "--static-map", "/static="+assets), path: "/static/asset.css"},
		{name: "nginx static file (1 MiB)", baseline: "nginx static file (1 MiB)", server: b.nginxStatic(assets), path: "/static/asset.js"},
		{name: "uwsgo --static-map (1 MiB)", baseline: "nginx static file (1 MiB)", server: uwsgo("hello", nil, "--disable-logging", "--static-map", "/static="+assets), path: "/static/asset.js"},
		{name: "nginx ssl, return 200 (HTTPS keep-alive)", baseline: "nginx ssl, return 200 (HTTPS keep-alive)", server: b.nginxReturn(), path: "/view/", https: true},
		{name: "nginx ssl proxy_pass, upstream keep-alive → net/http (HTTPS keep-alive)", baseline: "nginx ssl proxy_pass, upstream keep-alive → net/http (HTTPS keep-alive)",
			server: plain("nethttp"), front: b.nginxTLS(), path: "/view/", https: true},
		{name: "uwsgo --https-socket (HTTPS keep-alive)", baseline: "nginx ssl proxy_pass, upstream keep-alive → net/http (HTTPS keep-alive)",
			server: func(port int) *exec.Cmd {
				crt, key := b.cert()
				return pinned("0", b.bin("hello"), "--https-socket", fmt.Sprintf("%s,%s,%s", addr(port), crt, key), "--goroutines", "100", "--disable-logging")
			}, path: "/view/", https: true},
		{name: one, baseline: one, path: "/cpu?times=4", wrkCPUs: "0,1",
			server: uwsgoOn("0", "testapp", nil, "--disable-logging", "--master", "--processes", "1")},
		{name: two, baseline: one, path: "/cpu?times=4", wrkCPUs: "0,1",
			server: uwsgoOn("0,1", "testapp", nil, "--disable-logging", "--master", "--processes", "2")},
	}
}

// assets writes the static files the static rows serve: 16 KiB of CSS and
// 1 MiB of JavaScript.
func (b *bench) assets() string {
	dir := filepath.Join(b.dir, "assets")
	_ = os.MkdirAll(dir, 0o755)
	for name, size := range map[string]int{"asset.css": 16 << 10, "asset.js": 1 << 20} {
		text := make([]byte, 0, size)
		for len(text) < size {
			text = append(text, ".rule-a { color: #123456; margin: 0 auto; }\n"...)
		}
		_ = os.WriteFile(filepath.Join(dir, name), text[:size], 0o644)
	}
	return dir
}

// nginxStatic runs nginx itself as the server, serving dir at /static/.
func (b *bench) nginxStatic(dir string) func(port int) *exec.Cmd {
	return func(port int) *exec.Cmd {
		cdir, _ := os.MkdirTemp(b.dir, "nginx-static-")
		conf := fmt.Sprintf(`daemon off; master_process off; worker_processes 1;
error_log %[1]s/error.log; pid %[1]s/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nopush on; include /etc/nginx/mime.types;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;
  server { listen 127.0.0.1:%[2]d; location /static/ { alias %[3]s/; } }
}
`, cdir, port, dir)
		path := filepath.Join(cdir, "nginx.conf")
		_ = os.WriteFile(path, []byte(conf), 0o644)
		if _, err := exec.LookPath("nginx"); err != nil {
			return exec.Command("false")
		}
		return pinned("0", "nginx", "-c", path, "-e", filepath.Join(cdir, "error.log"))
	}
}

// nginx returns a front starter: nginx on CPU 0 beside the server, passing
// to the backend with uwsgi_pass, or proxy_pass as nginx does by default (a
// new upstream connection per request) or with upstream keep-alive.
func (b *bench) nginx(uwsgiPass, keepAlive bool) func(port, backend int) (*exec.Cmd, func(), error) {
	pass := `proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";`
	switch {
	case uwsgiPass:
		pass = "include /etc/nginx/uwsgi_params; uwsgi_pass 127.0.0.1:%[1]d;"
	case !keepAlive:
		pass = "proxy_pass http://127.0.0.1:%[1]d;"
	}
	return b.nginxFront("", "", pass)
}

// nginxFront runs nginx in front of the backend; pass is the location's
// directives (%[1]d: the backend's port), listen and ssl the extra listen
// parameters and server directives.
func (b *bench) nginxFront(listen, ssl, pass string) func(port, backend int) (*exec.Cmd, func(), error) {
	return func(port, backend int) (*exec.Cmd, func(), error) {
		if _, err := exec.LookPath("nginx"); err != nil {
			return nil, nil, fmt.Errorf("nginx not installed")
		}
		dir, err := os.MkdirTemp(b.dir, "nginx-")
		if err != nil {
			return nil, nil, err
		}
		pass := pass // this run's backend; the closure serves every round
		if strings.Contains(pass, "%[1]d") {
			pass = fmt.Sprintf(pass, backend)
		}
		conf := fmt.Sprintf(`daemon off; master_process off; worker_processes 1;
error_log %[1]s/error.log; pid %[1]s/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; uwsgi_temp_path %[1]s/uwsgi;
  fastcgi_temp_path %[1]s/fcgi; scgi_temp_path %[1]s/scgi;
  upstream backend { server 127.0.0.1:%[2]d; keepalive 64; }
  server { listen 127.0.0.1:%[3]d%[5]s; %[6]s location / { %[4]s } }
}
`, dir, backend, port, pass, listen, ssl)
		path := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			return nil, nil, err
		}
		cmd := pinned("0", "nginx", "-c", path, "-e", filepath.Join(dir, "error.log"))
		if err := cmd.Start(); err != nil {
			return nil, nil, err
		}
		stop := func() { _ = cmd.Process.Signal(syscall.SIGQUIT); _ = cmd.Wait() }
		return cmd, stop, nil
	}
}
