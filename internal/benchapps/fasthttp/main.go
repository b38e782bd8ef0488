// Command fasthttp is the bare fasthttp baseline of `make bench`: the hello
// handler on fasthttp.ListenAndServe.
package main

import (
	"fmt"
	"os"

	"github.com/valyala/fasthttp"
)

func main() {
	h := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/html")
		fmt.Fprintf(ctx, "<h1>Hello World</h1>")
	}
	if err := fasthttp.ListenAndServe(os.Args[1], h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
