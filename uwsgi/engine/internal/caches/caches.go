package caches

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/cache"
	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"golang.org/x/sys/unix"
)

// ErrNoCache is returned for a cache name no --cache/--cache2 created.
var ErrNoCache = errors.New("uwsgi: no such cache")

// registry is the caches of this process: created by the master (or a
// process serving alone) at its first use, or attached by a worker from
// the descriptors its master passed. The first use may come from the
// app's main() before Run, so it is lazy and happens once. It is a
// process-wide singleton on purpose: package uwsgi's Cache* functions
// take no handle.
var registry struct {
	once   sync.Once
	list   []*cache.Cache
	byName map[string]*cache.Cache
	err    error
	notes  []string // start-up log lines, written once a logger exists
}

// Caches returns this process's caches, in configuration order.
func Caches(cfg *config.Config) ([]*cache.Cache, error) {
	registry.once.Do(func() { registry.err = initCaches(cfg) })
	return registry.list, registry.err
}

// LocalCache returns the cache called name ("" = the default, the first
// created).
func LocalCache(cfg *config.Config, name string) (*cache.Cache, error) {
	if _, err := Caches(cfg); err != nil {
		return nil, err
	}
	return LookupCache(name)
}

// LookupCache finds a cache of this process once they exist.
func LookupCache(name string) (*cache.Cache, error) {
	if name == "" {
		if len(registry.list) == 0 {
			return nil, fmt.Errorf("%w: no cache is configured (--cache or --cache2)", ErrNoCache)
		}
		return registry.list[0], nil
	}
	if c := registry.byName[name]; c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q", ErrNoCache, name)
}

// CacheSpecs reads --cache (the legacy "default" cache, created first, as
// uWSGI does) and every --cache2.
func CacheSpecs(cfg *config.Config) ([]cache.Spec, error) {
	var specs []cache.Spec
	if n := cfg.Int("cache"); n > 0 {
		sp, err := cache.Legacy(uint64(n), uint64(cfg.Int("cache-blocksize")), cfg.String("cache-store"), uint64(cfg.Int("cache-store-sync")))
		if err != nil {
			return nil, fmt.Errorf("uwsgi: --cache: %w", err)
		}
		specs = append(specs, sp)
	}
	seen := map[string]bool{}
	for _, s := range cfg.Strings("cache2") {
		sp, err := cache.ParseSpec(s)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: --%w", err)
		}
		if sp.StoreSync == 0 {
			sp.StoreSync = uint64(cfg.Int("cache-store-sync"))
		}
		specs = append(specs, sp)
	}
	for _, sp := range specs {
		if seen[sp.Name] {
			return nil, fmt.Errorf("uwsgi: cache %q is defined twice", sp.Name)
		}
		seen[sp.Name] = true
	}
	return specs, nil
}

func initCaches(cfg *config.Config) error {
	specs, err := CacheSpecs(cfg)
	if err != nil || len(specs) == 0 {
		return err
	}
	fds, inherited, err := inheritedCacheFDs()
	if err != nil {
		return err
	}
	if inherited && len(fds) != len(specs) {
		return fmt.Errorf("uwsgi: inherited %d caches but the configuration names %d", len(fds), len(specs))
	}
	registry.byName = map[string]*cache.Cache{}
	for i, sp := range specs {
		var c *cache.Cache
		if inherited {
			unix.CloseOnExec(fds[i])
			c, err = cache.Attach(sp, os.NewFile(uintptr(fds[i]), "cache-"+sp.Name))
		} else {
			c, err = cache.Create(sp)
			if err == nil {
				registry.notes = append(registry.notes, describeCache(c))
			}
		}
		if err != nil {
			return fmt.Errorf("uwsgi: %w", err)
		}
		registry.list = append(registry.list, c)
		registry.byName[sp.Name] = c
	}
	if !inherited {
		if err := addCacheItems(cfg); err != nil {
			return err
		}
	}
	return nil
}

// inheritedCacheFDs reads the cache descriptors a master passed to this
// worker, or to itself across a binary re-exec.
func inheritedCacheFDs() ([]int, bool, error) {
	if v, ok := os.LookupEnv(handoff.EnvCaches); ok {
		os.Unsetenv(handoff.EnvCaches)
		fds, err := handoff.SplitInts(v)
		if err != nil {
			return nil, false, fmt.Errorf("uwsgi: %s: %w", handoff.EnvCaches, err)
		}
		return fds, true, nil
	}
	if adopted != nil {
		return adopted, true, nil
	}
	return nil, false, nil
}

// adopted are the cache descriptors of the master image this one replaced
// (Adopt).
var adopted []int

// Adopt makes the next Caches take over fds, the caches of the master
// image this one replaced (a binary upgrade), instead of creating them.
func Adopt(fds []int) {
	if fds == nil {
		fds = []int{}
	}
	adopted = fds
}

func describeCache(c *cache.Cache) string {
	sp := c.Spec()
	mb := (sp.Items*(88+sp.KeySize) + sp.BlockSize*sp.Blocks) >> 20
	s := fmt.Sprintf("*** Cache %q initialized: %dMB (key: %d bytes, keys: %d bytes, data: %d bytes, bitmap: %d bytes) preallocated ***",
		sp.Name, mb, 88+sp.KeySize, (88+sp.KeySize)*sp.Items, sp.BlockSize*sp.Blocks, (sp.Blocks+7)/8*handoff.Bit[uint64](sp.Bitmap))
	if sp.Store != "" {
		s += fmt.Sprintf("\n[uwsgi-cache] store %s: %d items", sp.Store, c.Stats().Items)
	}
	return s
}

// addCacheItems stores each --add-cache-item "[CACHE ]KEY=VALUE".
func addCacheItems(cfg *config.Config) error {
	for _, v := range cfg.Strings("add-cache-item") {
		name, kv := "", v
		if sp := strings.IndexByte(v, ' '); sp >= 0 && sp < strings.IndexByte(v, '=') {
			name, kv = v[:sp], v[sp+1:]
		}
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("uwsgi: invalid add-cache-item %q: want [CACHE ]KEY=VALUE", v)
		}
		c, err := LookupCache(name)
		if err != nil {
			return fmt.Errorf("uwsgi: add-cache-item %q: %w", v, err)
		}
		if err := c.Update(key, []byte(val), 0); err != nil {
			return fmt.Errorf("uwsgi: add-cache-item %q: %w", v, err)
		}
	}
	return nil
}

// StartCacheDuties logs the caches and runs, in the master (or a process
// alone), the sweeper every --cache-expire-freq seconds and the store_sync
// flushes, until stop is closed; then it syncs the store files.
func StartCacheDuties(cfg *config.Config, log *logger.Logger, stop <-chan struct{}) {
	list, _ := Caches(cfg)
	for _, n := range registry.notes {
		log.Printf("%s", n)
	}
	registry.notes = nil
	if len(list) == 0 {
		return
	}
	sweep := !cfg.Bool("cache-no-expire")
	report := cfg.Bool("cache-report-freed-items")
	freq := time.Duration(max(cfg.Int("cache-expire-freq"), 1)) * time.Second
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lastSweep := time.Now()
		for cycle := uint64(1); ; cycle++ {
			select {
			case <-stop:
				SyncCaches(list, log)
				return
			case <-tick.C:
			}
			if sweep && time.Since(lastSweep) >= freq {
				lastSweep = time.Now()
				for _, c := range list {
					if n := c.Sweep(); n > 0 && report {
						log.Printf("freed %d items for cache %q", n, c.Name())
					}
				}
			}
			for _, c := range list {
				if s := c.Spec().StoreSync; s > 0 && cycle%s == 0 {
					if err := c.Sync(); err != nil {
						log.Printf("uwsgi: cache %q: msync: %v", c.Name(), err)
					}
				}
			}
		}
	}()
}

// SyncCaches flushes the caches' shared memory to their store files (msync).
func SyncCaches(list []*cache.Cache, log *logger.Logger) {
	for _, c := range list {
		if err := c.Sync(); err != nil {
			log.Printf("uwsgi: cache %q: msync: %v", c.Name(), err)
		}
	}
}

// SetCacheLoggers sends the caches' messages to log.
func SetCacheLoggers(list []*cache.Cache, log *logger.Logger) {
	for _, c := range list {
		c.SetLogger(func(format string, args ...any) {
			log.Printf(format, args...)
			log.Flush() // rare lines, and a process that just took a dead holder's lock may die next
		})
	}
}

// RecoverCaches takes back any cache lock the dead process pid held.
func RecoverCaches(pid int) {
	for _, c := range registry.list {
		c.RecoverFrom(pid)
	}
}

// All is the process's caches, in configuration order (empty before the
// first Caches).
func All() []*cache.Cache { return registry.list }

// Named is the cache called name, or nil (name as the packet carries it:
// the lookup allocates nothing).
func Named(name []byte) *cache.Cache { return registry.byName[string(name)] }
