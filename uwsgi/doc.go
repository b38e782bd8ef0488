// Package uwsgi turns a Go program into a uWSGI-compatible application
// server: one static binary that speaks uWSGI's options, config files and
// protocols.
//
// An app registers its handlers and calls Run, exactly as with uWSGI's gccgo
// plugin:
//
//	func main() {
//		http.HandleFunc("/view/", viewHandler)
//		uwsgi.Run()
//	}
//
// and is started with uWSGI's options:
//
//	./myapp --http-socket :9090 --goroutines 100
//	./myapp --socket 127.0.0.1:3031          # behind nginx uwsgi_pass
//	./myapp --ini deploy.ini
//
// Run serves http.DefaultServeMux, RunHandler any http.Handler, and RunFast a
// native fasthttp.RequestHandler (the fastest path, with no net/http bridge).
//
// The process's arguments belong to uWSGI: an app that wants flags of its
// own reads them from Args (the --go-args option), not os.Args.
//
// # Requests are pooled
//
// For speed, the *http.Request given to a handler, its Header map and its
// URL are reused for later requests once the handler returns. Strings read
// from them stay valid forever; the request itself must not be kept or used
// by another goroutine after ServeHTTP returns (net/http forbids that for the
// ResponseWriter already).
package uwsgi
