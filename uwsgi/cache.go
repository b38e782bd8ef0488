package uwsgi

import (
	"errors"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/cache"
	"github.com/uwsgo/uwsgo/uwsgi/engine"
)

// Errors of the cache functions; compare with errors.Is.
var (
	ErrCacheNotFound  = cache.ErrNotFound      // Del of a missing key
	ErrCacheExists    = cache.ErrExists        // Set of a key already there
	ErrCacheFull      = cache.ErrFull          // no free slot or blocks
	ErrValueTooLarge  = cache.ErrValueTooLarge // over blocksize (blocksize × blocks with bitmap=1)
	ErrKeyTooLarge    = cache.ErrKeyTooLarge   // over keysize (2048 by default)
	ErrCacheEmpty     = cache.ErrEmpty         // an empty key or value
	ErrCacheNotNumber = cache.ErrNotNumber     // CacheInc/CacheDec on a value that is not 8 bytes
	ErrNoCache        = engine.ErrNoCache      // no cache of that name is configured
	ErrRemoteRefused  = cache.ErrRemoteRefused // a remote cache closed without a reply
)

// A cache name is "" (the default cache: the first created), the name of a
// local --cache2, or "name@host:port" (or "name@/path.sock") for a cache of
// another uWSGI or uwsgo instance, reached through its --socket.
type store interface {
	get(key string) ([]byte, bool, error)
	set(key string, value []byte, ttl time.Duration, update bool) error
	exists(key string) (bool, error)
	del(key string) error
	clear() error
}

type localStore struct{ c *cache.Cache }

func (l localStore) get(key string) ([]byte, bool, error) { v, ok := l.c.Get(key); return v, ok, nil }
func (l localStore) set(key string, v []byte, ttl time.Duration, update bool) error {
	if update {
		return l.c.Update(key, v, ttl)
	}
	return l.c.Set(key, v, ttl)
}
func (l localStore) exists(key string) (bool, error) { return l.c.Exists(key), nil }
func (l localStore) del(key string) error            { return l.c.Del(key) }
func (l localStore) clear() error                    { l.c.Clear(); return nil }

type remoteStore struct{ r cache.Remote }

func (r remoteStore) get(key string) ([]byte, bool, error) { return r.r.Get(key) }
func (r remoteStore) set(key string, v []byte, ttl time.Duration, update bool) error {
	if update {
		return r.r.Update(key, v, ttl)
	}
	return r.r.Set(key, v, ttl)
}
func (r remoteStore) exists(key string) (bool, error) { return r.r.Exists(key) }
func (r remoteStore) del(key string) error            { return r.r.Del(key) }
func (r remoteStore) clear() error                    { return r.r.Clear() }

func socketTimeout() time.Duration {
	return time.Duration(loadConfig().Int("socket-timeout")) * time.Second
}

func openStore(name string) (store, error) {
	if r, ok := cache.ParseRemote(name, socketTimeout()); ok {
		return remoteStore{r}, nil
	}
	c, err := engine.LocalCache(loadConfig(), name)
	if err != nil {
		return nil, err
	}
	return localStore{c}, nil
}

// CacheGet returns the value of key in cache, or "" when it is missing (or
// the cache is unreachable), as the gccgo plugin's CacheGet.
func CacheGet(key, cache string) string {
	v, _ := CacheGetBytes(key, cache)
	return string(v)
}

// CacheGetBytes returns a copy of the value of key in cache; ok is false
// when the key is missing or the cache unreachable.
func CacheGetBytes(key, cache string) (value []byte, ok bool) {
	s, err := openStore(cache)
	if err != nil {
		return nil, false
	}
	v, ok, err := s.get(key)
	return v, ok && err == nil
}

// CacheSet stores value under key if the key is absent (ErrCacheExists
// otherwise), as uWSGI's cache_set. expires <= 0 never expires; it is
// counted in whole seconds, rounded up.
func CacheSet(key string, value []byte, expires time.Duration, cache string) error {
	s, err := openStore(cache)
	if err != nil {
		return err
	}
	return s.set(key, value, expires, false)
}

// CacheUpdate stores value under key, creating or replacing it.
func CacheUpdate(key string, value []byte, expires time.Duration, cache string) error {
	s, err := openStore(cache)
	if err != nil {
		return err
	}
	return s.set(key, value, expires, true)
}

// CacheExists reports whether key is in cache.
func CacheExists(key, cache string) bool {
	s, err := openStore(cache)
	if err != nil {
		return false
	}
	ok, err := s.exists(key)
	return ok && err == nil
}

// CacheDel removes key from cache; ErrCacheNotFound if it was not there.
func CacheDel(key, cache string) error {
	s, err := openStore(cache)
	if err != nil {
		return err
	}
	return s.del(key)
}

// CacheClear removes every item of cache.
func CacheClear(cache string) error {
	s, err := openStore(cache)
	if err != nil {
		return err
	}
	return s.clear()
}

var errRemoteMath = errors.New("uwsgi: counters of a remote cache are not supported")

func localCache(name string) (*cache.Cache, error) {
	if _, ok := cache.ParseRemote(name, 0); ok {
		return nil, errRemoteMath
	}
	return engine.LocalCache(loadConfig(), name)
}

// CacheInc adds delta to the 64-bit counter key of a local cache and
// returns the new value; a missing key starts at the cache's math_initial
// (0 by default). The value is stored as 8 bytes, little-endian, as uWSGI
// stores it on this machine.
func CacheInc(key string, delta int64, cache string) (int64, error) {
	c, err := localCache(cache)
	if err != nil {
		return 0, err
	}
	return c.Inc(key, delta, 0)
}

// CacheDec subtracts delta from the counter key, as CacheInc.
func CacheDec(key string, delta int64, cache string) (int64, error) {
	c, err := localCache(cache)
	if err != nil {
		return 0, err
	}
	return c.Dec(key, delta, 0)
}

// CacheNum reads the counter key (0 when it is missing).
func CacheNum(key string, cache string) (int64, error) {
	c, err := localCache(cache)
	if err != nil {
		return 0, err
	}
	n, _, err := c.Num(key)
	return n, err
}
