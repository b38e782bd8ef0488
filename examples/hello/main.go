// Command hello is the gccgo plugin's first app, built as one uwsgo binary:
//
//	go build -o hello ./examples/hello
//	./hello --http-socket :9090 --goroutines 100
package main

import (
	"fmt"
	"net/http"

	"github.com/uwsgo/uwsgo/uwsgi"
)

func viewHandler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "<h1>Hello World</h1>")
}

func main() {
	http.HandleFunc("/view/", viewHandler)
	uwsgi.Run()
}
