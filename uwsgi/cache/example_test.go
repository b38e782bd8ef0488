package cache_test

import (
	"fmt"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/cache"
)

// The cache package works on its own: here, a cache in this process's
// memory, with uWSGI's set-if-absent and update semantics.
func ExampleCreate() {
	sp, err := cache.ParseSpec("name=demo,items=10,blocksize=64")
	if err != nil {
		panic(err)
	}
	c, err := cache.Create(sp)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Println(c.Set("k", []byte("first"), time.Minute))
	fmt.Println(c.Set("k", []byte("second"), 0))
	fmt.Println(c.Update("k", []byte("third"), 0))
	v, ok := c.Get("k")
	fmt.Println(string(v), ok)
	// Output:
	// <nil>
	// uwsgi: cache key already exists
	// <nil>
	// third true
}
