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
// # Request lifetime
//
// As in net/http, the *http.Request given to a handler, its URL, Header map
// and Context are the handler's own: they stay valid after ServeHTTP
// returns, so `go audit(r)` and loggers that read the request later work.
// The context is done once the handler returned. The ResponseWriter must
// not be used after ServeHTTP returns, as net/http says.
//
// The ReuseRequests option (or --reuse-requests) reuses those objects for
// later requests instead, which saves allocations; a handler must then not
// keep them past ServeHTTP. Strings read from a request stay valid in both
// modes.
package uwsgi
