package main

import (
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi"
)

// cacheHandlers drive the caching framework from the process tests. Every
// answer starts with the serving worker's pid.
func cacheHandlers() {
	http.HandleFunc("/cache/get", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v, ok := uwsgi.CacheGetBytes(q.Get("key"), q.Get("cache"))
		if !ok {
			w.WriteHeader(404)
		}
		fmt.Fprintf(w, "%d %s", os.Getpid(), v)
	})
	http.HandleFunc("/cache/set", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ttl, _ := strconv.Atoi(q.Get("ttl"))
		set := uwsgi.CacheSet
		if q.Get("mode") == "update" {
			set = uwsgi.CacheUpdate
		}
		err := set(q.Get("key"), []byte(q.Get("value")), time.Duration(ttl)*time.Second, q.Get("cache"))
		switch {
		case errors.Is(err, uwsgi.ErrCacheExists):
			w.WriteHeader(409)
		case errors.Is(err, uwsgi.ErrCacheFull):
			w.WriteHeader(507)
		case err != nil:
			w.WriteHeader(400)
		}
		fmt.Fprintf(w, "%d %v", os.Getpid(), err)
	})
	http.HandleFunc("/cache/verify", verifyHammered)
}

// The hammer (TESTAPP_CACHE_HAMMER=1): every worker updates and deletes
// the keys h0..h31 of the "hammer" cache in a tight loop, for the kill -9
// test. A value is one unit, "KEY#SEQ;", repeated a varying number of
// times, so a torn write shows.
func startHammer() {
	if os.Getenv("TESTAPP_CACHE_HAMMER") != "1" || uwsgi.WorkerID() == 0 {
		return
	}
	go func() {
		rng := rand.New(rand.NewSource(int64(os.Getpid())))
		for i := 0; ; i++ {
			key := "h" + strconv.Itoa(rng.Intn(32))
			if i%5 == 4 {
				_ = uwsgi.CacheDel(key, "hammer")
				continue
			}
			unit := fmt.Sprintf("%s#%d.%d;", key, os.Getpid(), i)
			_ = uwsgi.CacheUpdate(key, []byte(strings.Repeat(unit, 1+rng.Intn(2000))), 0, "hammer")
		}
	}()
}

// verifyHammered reads every hammered key and checks its value is whole.
func verifyHammered(w http.ResponseWriter, r *http.Request) {
	found := 0
	for k := range 32 {
		key := "h" + strconv.Itoa(k)
		v, ok := uwsgi.CacheGetBytes(key, "hammer")
		if !ok {
			continue
		}
		found++
		s := string(v)
		end := strings.IndexByte(s, ';')
		if end < 0 || !strings.HasPrefix(s, key+"#") || strings.Repeat(s[:end+1], len(s)/(end+1)) != s {
			w.WriteHeader(500)
			fmt.Fprintf(w, "%d corrupt value for %s: %.80q", os.Getpid(), key, s)
			return
		}
	}
	fmt.Fprintf(w, "%d ok %d", os.Getpid(), found)
}
