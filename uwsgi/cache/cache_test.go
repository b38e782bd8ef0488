package cache

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestSpecDefaultsAndErrors(t *testing.T) {
	sp, err := ParseSpec("name=a,items=10")
	if err != nil {
		t.Fatal(err)
	}
	if sp.BlockSize != 65536 || sp.KeySize != 2048 || sp.Blocks != 10 || sp.HashSize != 65536 || sp.Hash != "djb33x" {
		t.Fatalf("defaults: %+v", sp)
	}
	if sp, _ := ParseSpec(`name=a\,b,items=3`); sp.Name != "a,b" {
		t.Fatalf("escaped comma: name %q", sp.Name)
	}
	for _, bad := range []string{"items=10", "name=a", "name=a,items=x", "name=a,items=10,maxitems2=3",
		"name=a,items=10,hash=crc", "name=a,items=10,blocks=5", "name=a,items=10,nodes=127.0.0.1:3000"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted it", bad)
		}
	}
}

func TestSetUpdateDelSemantics(t *testing.T) {
	c := newTestCache(t, "name=s,items=4,blocksize=8,keysize=4")
	ok(t, c.Set("a", []byte("1"), 0))
	if err := c.Set("a", []byte("2"), 0); !errors.Is(err, ErrExists) {
		t.Fatalf("set of an existing key: %v", err)
	}
	ok(t, c.Update("a", []byte("22"), 0))
	if v, _ := c.Get("a"); string(v) != "22" {
		t.Fatalf("after update: %q", v)
	}
	for _, tc := range []struct {
		key string
		val string
		err error
	}{{"", "x", ErrEmpty}, {"k", "", ErrEmpty}, {"kkkkk", "x", ErrKeyTooLarge}, {"k", "123456789", ErrValueTooLarge}} {
		if err := c.Update(tc.key, []byte(tc.val), 0); !errors.Is(err, tc.err) {
			t.Errorf("update(%q, %q): %v, want %v", tc.key, tc.val, err, tc.err)
		}
	}
	ok(t, c.Set("b", []byte("x"), 0))
	ok(t, c.Set("c", []byte("x"), 0))
	if err := c.Set("d", []byte("x"), 0); !errors.Is(err, ErrFull) { // items-1 usable slots
		t.Fatalf("4th item in items=4: %v, want ErrFull", err)
	}
	if !c.Exists("b") || c.Exists("d") {
		t.Fatal("Exists is wrong")
	}
	ok(t, c.Del("b"))
	if err := c.Del("b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second del: %v", err)
	}
	ok(t, c.Set("d", []byte("x"), 0))
	st := c.Stats()
	if st.Items != 3 || st.Full != 1 {
		t.Fatalf("stats %+v", st)
	}
	checkConsistent(t, c)
}

func withClock(t *testing.T, start int64) *int64 {
	clock := start
	old := now
	now = func() int64 { return clock }
	t.Cleanup(func() { now = old })
	return &clock
}

func TestExpiry(t *testing.T) {
	clock := withClock(t, 1_000_000)
	c := newTestCache(t, "name=e,items=10,blocksize=16")
	ok(t, c.Set("short", []byte("v"), 1500*time.Millisecond)) // rounds up to 2 s
	ok(t, c.Set("long", []byte("v"), time.Hour))
	ok(t, c.Set("never", []byte("v"), 0))
	if _, exp, _ := c.GetInfo(nil, "short"); exp != 1_000_002 {
		t.Fatalf("expires %d, want now+2", exp)
	}
	*clock += 1
	if n := c.Sweep(); n != 0 || !c.Exists("short") {
		t.Fatalf("swept %d before the expiry", n)
	}
	*clock += 1
	if n := c.Sweep(); n != 1 {
		t.Fatalf("sweeper freed %d items, want 1", n)
	}
	if c.Exists("short") || !c.Exists("long") || !c.Exists("never") || c.Stats().Items != 2 {
		t.Fatal("the sweeper removed the wrong items")
	}
	// On read: an expired item is a miss even before the sweeper runs.
	*clock += 3600
	if _, hit := c.Get("long"); hit {
		t.Fatal("an expired item was returned")
	}
	ok(t, c.Set("long", []byte("again"), 0)) // and its key is free again
	checkConsistent(t, c)

	lazy := newTestCache(t, "name=l,items=10,blocksize=16,lazy_expire=1")
	ok(t, lazy.Set("k", []byte("v"), time.Second))
	*clock += 2
	if n := lazy.Sweep(); n != 0 {
		t.Fatal("the sweeper ran on a lazy_expire cache")
	}
	if _, hit := lazy.Get("k"); hit || lazy.Stats().Items != 0 {
		t.Fatal("lazy_expire: the expired item was not removed on read")
	}
}

func TestMath(t *testing.T) {
	c := newTestCache(t, "name=m,items=10,blocksize=16,math_initial=10")
	if n, err := c.Inc("n", 5, 0); err != nil || n != 15 {
		t.Fatalf("inc on a missing key: %d %v", n, err)
	}
	if n, _ := c.Dec("n", 1, 0); n != 14 {
		t.Fatalf("dec: %d", n)
	}
	if n, _ := c.Mul("n", 3, 0); n != 42 {
		t.Fatalf("mul: %d", n)
	}
	if n, _ := c.Div("n", 0, 0); n != 0 {
		t.Fatalf("div by 0: %d", n)
	}
	ok(t, c.Set("s", []byte("abc"), 0))
	if _, err := c.Inc("s", 1, 0); !errors.Is(err, ErrNotNumber) {
		t.Fatalf("inc of a string: %v", err)
	}
	if n, hit, err := c.Num("n"); n != 0 || !hit || err != nil {
		t.Fatalf("num: %d %v %v", n, hit, err)
	}
}

func TestStoreSurvivesReopen(t *testing.T) {
	store := filepath.Join(t.TempDir(), "c.store")
	spec := "name=p,items=20,blocksize=32,bitmap=1,blocks=40,purge_lru=1,store=" + store
	sp, _ := ParseSpec(spec)
	c, err := Create(sp)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		ok(t, c.Set("k"+strconv.Itoa(i), []byte("value-"+strconv.Itoa(i)), 0))
	}
	ok(t, c.Del("k3"))
	c.Close()

	c2, err := Create(sp)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for i := range 10 {
		v, hit := c2.Get("k" + strconv.Itoa(i))
		if want := "value-" + strconv.Itoa(i); (i == 3) == hit || (hit && string(v) != want) {
			t.Fatalf("k%d after reopen: %q %v", i, v, hit)
		}
	}
	if c2.Stats().Items != 9 {
		t.Fatalf("items after reopen: %d", c2.Stats().Items)
	}
	checkConsistent(t, c2)

	other, _ := ParseSpec("name=p,items=21,blocksize=32,store=" + store)
	if _, err := Create(other); err == nil {
		t.Fatal("a store file of another layout was accepted")
	}
	other.StoreDelete = true
	c3, err := Create(other)
	if err != nil {
		t.Fatalf("store_delete: %v", err)
	}
	defer c3.Close()
	if c3.Stats().Items != 0 {
		t.Fatal("store_delete kept items")
	}
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) uint32 {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return uint32(cmd.Process.Pid)
}

// TestRecoveryFromDeadHolder leaves the cache as a process killed in the
// middle of a set would: the lock held by a dead pid, a half-written slot
// and a hash chain pointing at it.
func TestRecoveryFromDeadHolder(t *testing.T) {
	for _, via := range []string{"waiter", "master"} {
		t.Run(via, func(t *testing.T) {
			c := newTestCache(t, "name=r,items=8,blocksize=16,bitmap=1,blocks=16")
			ok(t, c.Set("good", []byte("kept"), 0))
			pid := deadPID(t)
			c.hdr.Lock.Store(pid)
			idx := c.popFree()
			it := c.item(idx)
			it.State.Store(stateWriting)
			it.KeyLen, it.ValLen, it.FirstBlock = 4, 5, 2
			copy(c.keyOf(it), "torn")
			it.Hash = c.useHash("torn")
			c.hashLink(idx, it)
			if via == "master" && !c.RecoverFrom(int(pid)) {
				t.Fatal("RecoverFrom did not take the lock")
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if v, _ := c.Get("good"); string(v) != "kept" {
					t.Errorf("good = %q", v)
				}
				if c.Exists("torn") {
					t.Error("the half-written item survived")
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the cache stayed wedged")
			}
			checkConsistent(t, c)
			ok(t, c.Set("new", []byte("works"), 0))
		})
	}
}

// TestTwoMappings drives one cache through two mappings with different
// owner ids, as two worker processes would, from many goroutines.
func TestTwoMappings(t *testing.T) {
	a := newTestCache(t, "name=x,items=64,blocksize=64")
	f, err := os.Open("/proc/self/fd/" + strconv.Itoa(int(a.File().Fd())))
	if err != nil {
		t.Skip("no /proc:", err)
	}
	f.Close()
	dup, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(a.File().Fd())), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Attach(a.Spec(), dup)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.pid = uint32(os.Getppid()) // another live process
	var wg sync.WaitGroup
	for g := range 8 {
		c := a
		if g%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := "k" + strconv.Itoa((g*7+i)%40)
				switch i % 4 {
				case 0, 1:
					_ = c.Update(k, []byte(k+"-"+strconv.Itoa(i)), 0)
				case 2:
					if v, hit := c.Get(k); hit && string(v[:len(k)+1]) != k+"-" {
						t.Errorf("key %s holds %q", k, v)
					}
				case 3:
					_ = c.Del(k)
				}
			}
		}()
	}
	wg.Wait()
	checkConsistent(t, a)
	ok(t, a.Update("shared", []byte("from a"), 0))
	if v, _ := b.Get("shared"); string(v) != "from a" {
		t.Fatalf("the second mapping reads %q", v)
	}
}

func BenchmarkCacheGet(b *testing.B) {
	c := newTestCache(b, "name=bench,items=1024,blocksize=256")
	for i := range 1000 {
		_ = c.Set("key"+strconv.Itoa(i), []byte("a value of some thirty bytes.."), 0)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 256)
		i := 0
		for pb.Next() {
			buf, _ = c.GetAppend(buf[:0], benchKeys[i%1000])
			i++
		}
	})
}

func BenchmarkCacheSet(b *testing.B) {
	c := newTestCache(b, "name=bench,items=1024,blocksize=256")
	val := []byte("a value of some thirty bytes..")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_ = c.Update(benchKeys[i%1000], val, 0)
			i++
		}
	})
}

var benchKeys = func() []string {
	k := make([]string, 1000)
	for i := range k {
		k[i] = "key" + strconv.Itoa(i)
	}
	return k
}()
