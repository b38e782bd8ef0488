package cache

import (
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// The cases of uWSGI's t/cachebitmap.py, against the same caches.
var bitmapCaches = []string{
	"name=items_1,blocks=4,items=2,bitmap=1,blocksize=1",
	"name=items_2,blocks=4,items=3,bitmap=1,blocksize=1",
	"name=items_17,blocks=17,items=17,bitmap=1,blocksize=1",
	"name=items_4_10,blocks=5,items=5,bitmap=1,blocksize=10",
	"name=items_1_100000,blocks=1000,items=2,bitmap=1,blocksize=100",
	"name=items_non_bitmap,items=2,blocksize=20",
	"name=items_lru,items=3,blocksize=20,purge_lru=1",
}

func newTestCache(t testing.TB, spec string) *Cache {
	t.Helper()
	sp, err := ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Create(sp)
	if err != nil {
		t.Fatal(err)
	}
	c.SetLogger(func(string, ...any) {})
	t.Cleanup(func() { c.Close() })
	return c
}

func caches(t *testing.T) map[string]*Cache {
	m := map[string]*Cache{}
	for _, s := range bitmapCaches {
		c := newTestCache(t, s)
		m[c.Name()] = c
	}
	return m
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected %v", err)
	}
}

func fails(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("succeeded; want an error")
	}
}

func TestBitmapCases(t *testing.T) {
	x := func(n int) []byte { return bytes.Repeat([]byte("X"), n) }
	cases := map[string]func(t *testing.T, m map[string]*Cache){
		"failed_by_one": func(t *testing.T, m map[string]*Cache) { fails(t, m["items_1"].Update("key1", []byte("HELLO"), 0)) },
		"ok_four_bytes": func(t *testing.T, m map[string]*Cache) { ok(t, m["items_1"].Update("key1", []byte("HELL"), 0)) },
		"two_items_four_blocks": func(t *testing.T, m map[string]*Cache) {
			c := m["items_2"]
			ok(t, c.Update("key1", []byte("HE"), 0))
			ok(t, c.Update("key2", []byte("LL"), 0))
			ok(t, c.Del("key1"))
			fails(t, c.Update("key1", []byte("HEL"), 0))
			ok(t, c.Update("key1", []byte("HE"), 0))
		},
		"overlapping": func(t *testing.T, m map[string]*Cache) {
			c := m["items_2"]
			ok(t, c.Update("key1", []byte("HE"), 0))
			fails(t, c.Update("key1", []byte("HELL"), 0))
			ok(t, c.Del("key1"))
			ok(t, c.Update("key1", []byte("HELL"), 0))
		},
		"big_item": func(t *testing.T, m map[string]*Cache) {
			fails(t, m["items_17"].Update("key1", []byte("HELLOHELLOHELLOHEL"), 0))
			ok(t, m["items_17"].Update("key1", []byte("HELLOHELLOHELLOHE"), 0))
		},
		"set": func(t *testing.T, m map[string]*Cache) {
			c := m["items_17"]
			ok(t, c.Set("key1", []byte("HELLO"), 0))
			if err := c.Set("key1", []byte("HELLO"), 0); !errors.Is(err, ErrExists) {
				t.Fatalf("second set: %v, want ErrExists", err)
			}
			ok(t, c.Del("key1"))
			ok(t, c.Set("key1", []byte("HELLO"), 0))
			fails(t, c.Set("key1", []byte("HELLO"), 0))
		},
		"too_much_items": func(t *testing.T, m map[string]*Cache) {
			c := m["items_4_10"]
			for _, k := range []string{"key1", "key2", "key3", "key4"} {
				ok(t, c.Set(k, []byte("HELLO"), 0))
			}
			if err := c.Set("key5", []byte("HELLO"), 0); !errors.Is(err, ErrFull) {
				t.Fatalf("fifth set: %v, want ErrFull", err)
			}
			if c.Stats().Full != 1 {
				t.Fatalf("full counter %d, want 1", c.Stats().Full)
			}
		},
		"big_delete": func(t *testing.T, m map[string]*Cache) {
			c := m["items_4_10"]
			ok(t, c.Set("key1", x(50), 0))
			ok(t, c.Del("key1"))
			for _, k := range []string{"key1", "key2", "key3", "key4"} {
				ok(t, c.Set(k, []byte("HELLOHELLO"), 0))
			}
			fails(t, c.Set("key5", []byte("HELLOHELLO"), 0))
		},
		"big_update": func(t *testing.T, m map[string]*Cache) {
			c := m["items_4_10"]
			ok(t, c.Set("key1", x(40), 0))
			ok(t, c.Update("key1", x(10), 0))
			ok(t, c.Del("key1"))
			if err := c.Update("key1", x(51), 0); !errors.Is(err, ErrValueTooLarge) {
				t.Fatalf("51 bytes: %v, want ErrValueTooLarge", err)
			}
			ok(t, c.Update("key1", x(50), 0))
		},
		"multi_delete": func(t *testing.T, m map[string]*Cache) {
			c := m["items_4_10"]
			for range 100 {
				ok(t, c.Set("key1", x(50), 0))
				ok(t, c.Del("key1"))
			}
			for range 100 {
				fails(t, c.Set("key1", x(51), 0))
				if err := c.Del("key1"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("del of a missing key: %v", err)
				}
			}
			for range 100 {
				ok(t, c.Set("key1", x(50), 0))
				ok(t, c.Del("key1"))
			}
		},
		"big_key": func(t *testing.T, m map[string]*Cache) {
			ok(t, m["items_4_10"].Set(strings.Repeat("K", 2048), x(50), 0))
			if err := m["items_4_10"].Set(strings.Repeat("K", 2049), x(50), 0); !errors.Is(err, ErrKeyTooLarge) {
				t.Fatalf("2049-byte key: %v", err)
			}
		},
		"big_random": func(t *testing.T, m map[string]*Cache) {
			c := m["items_1_100000"]
			blob := make([]byte, 100000)
			rand.New(rand.NewSource(1)).Read(blob)
			ok(t, c.Set("KEY", blob, 0))
			if got, _ := c.Get("KEY"); !bytes.Equal(got, blob) {
				t.Fatal("the 100000-byte value came back different")
			}
			ok(t, c.Del("KEY"))
			fails(t, c.Set("KEY", x(100001), 0))
			ok(t, c.Set("KEY", x(10000), 0))
		},
		"non_bitmap": func(t *testing.T, m map[string]*Cache) {
			c := m["items_non_bitmap"]
			ok(t, c.Set("KEY", x(20), 0))
			ok(t, c.Del("KEY"))
			fails(t, c.Set("KEY", x(21), 0))
			ok(t, c.Set("KEY", x(20), 0))
		},
		"lru": func(t *testing.T, m map[string]*Cache) {
			c := m["items_lru"]
			ok(t, c.Set("KEY1", x(20), 0))
			ok(t, c.Set("KEY2", x(20), 0))
			ok(t, c.Set("KEY3", bytes.Repeat([]byte("Y"), 20), 0))
			if _, hit := c.Get("KEY1"); hit {
				t.Fatal("KEY1 survived; the LRU item should have been purged")
			}
			c.Get("KEY3")
			for i := 4; i < 100; i++ {
				ok(t, c.Set(keyN(i), x(20), 0))
				if _, hit := c.Get(keyN(i - 2)); hit {
					t.Fatalf("%s survived", keyN(i-2))
				}
			}
		},
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			m := caches(t)
			for range 3 { // clearing repeatedly must work (test_multi_clear)
				for _, c := range m {
					c.Clear()
				}
			}
			fn(t, m)
			for _, c := range m {
				checkConsistent(t, c)
			}
		})
	}
}

func keyN(i int) string { return "KEY" + string(rune('0'+i/10)) + string(rune('0'+i%10)) }

// checkConsistent verifies that a rebuild from the slots finds exactly the
// items the live indexes hold.
func checkConsistent(t *testing.T, c *Cache) {
	t.Helper()
	c.lock()
	defer c.unlock()
	before := c.hdr.Count.Load()
	free := uint64(0)
	for i := c.hdr.FreeHead; i != 0 && free < c.spec.Items; i = c.item(i).Next {
		free++
	}
	if free+before != c.spec.Items-1 {
		t.Fatalf("cache %s: %d free slots + %d items != %d usable slots", c.Name(), free, before, c.spec.Items-1)
	}
	if kept := c.rebuild(); uint64(kept) != before {
		t.Fatalf("cache %s: the indexes counted %d items, the slots hold %d", c.Name(), before, kept)
	}
}
