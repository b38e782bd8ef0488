package uwsgi_test

import (
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi"
	"github.com/valyala/fasthttp"
)

// The gccgo plugin's first app, unchanged but for the import path. Build it
// and run ./app --http-socket :9090 --goroutines 100.
func ExampleRun() {
	http.HandleFunc("/view/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<h1>Hello World</h1>")
	})
	uwsgi.Run()
}

// Any http.Handler can be served, not only http.DefaultServeMux.
func ExampleRunHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s served by worker %d", r.PathValue("id"), uwsgi.WorkerID())
	})
	uwsgi.RunHandler(mux)
}

// A native fasthttp handler skips the net/http bridge: the fastest path.
func ExampleRunFast() {
	uwsgi.RunFast(func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/html")
		ctx.WriteString("<h1>Hello World</h1>")
	})
}

// The app's own flags come from --go-args, since os.Args holds uWSGI's
// options: ./app --http-socket :9090 --go-args "-greeting hi".
func ExampleArgs() {
	fs := flag.NewFlagSet("app", flag.ExitOnError)
	greeting := fs.String("greeting", "hello", "what to say")
	fs.Parse(uwsgi.Args())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, *greeting) })
	uwsgi.Run()
}

// Vars gives the variables nginx sent (uwsgi_params) or, on an HTTP
// socket, the ones uWSGI would have generated.
func ExampleVars() {
	http.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		v := uwsgi.Vars(r)
		fmt.Fprintf(w, "%s via %s (scheme %s)\n", v["REMOTE_ADDR"], v["SERVER_NAME"], v["UWSGI_SCHEME"])
	})
	uwsgi.Run()
}

func ExampleSplitArgs() {
	fmt.Printf("%q\n", uwsgi.SplitArgs(`-v --name "my app" --path '/srv/a b' x\ y`))
	// Output: ["-v" "--name" "my app" "--path" "/srv/a b" "x y"]
}

// A page counter shared by every worker, in a cache created with
// ./app --http-socket :9090 --processes 4 --cache2 name=counters,items=100,blocksize=8
// and a page cache in the default cache (--cache 1000).
func ExampleCacheInc() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, err := uwsgi.CacheInc("hits:"+r.URL.Path, 1, "counters")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if page, ok := uwsgi.CacheGetBytes("page:"+r.URL.Path, ""); ok {
			w.Write(page)
			return
		}
		page := []byte(fmt.Sprintf("<p>%s, visit %d</p>", r.URL.Path, n))
		_ = uwsgi.CacheSet("page:"+r.URL.Path, page, 30*time.Second, "") // ErrCacheExists if another worker won
		w.Write(page)
	})
	uwsgi.Run()
}
