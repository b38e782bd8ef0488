//go:build ignore

// gen_options writes docs/options.md from the option table (go generate).
package main

import (
	"bytes"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

func main() {
	var b bytes.Buffer
	config.WriteMarkdown(&b)
	if err := os.WriteFile("../../docs/options.md", b.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
