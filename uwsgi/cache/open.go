package cache

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/uwsgo/uwsgo/uwsgi/internal/shm"
)

// Create makes the shared memory of a cache, as the master does at start:
// anonymous memory, or the store file (created, or reopened and checked
// against the spec, its items kept).
func Create(sp Spec) (*Cache, error) {
	if err := sp.fill(); err != nil {
		return nil, err
	}
	lay := layoutOf(&sp)
	if sp.Store == "" {
		f, err := shm.NewFile("uwsgi-cache-"+sp.Name, int64(lay.size))
		if err != nil {
			return nil, fmt.Errorf("cache %q: %w", sp.Name, err)
		}
		return mapCache(sp, f, true)
	}
	return openStore(sp, lay)
}

func openStore(sp Spec, lay layout) (*Cache, error) {
	st, err := os.Stat(sp.Store)
	if err == nil && sp.StoreDelete && (!st.Mode().IsRegular() || uint64(st.Size()) != lay.size) {
		if err := os.Remove(sp.Store); err != nil {
			return nil, fmt.Errorf("cache %q: cannot remove invalid cache store file %s: %w", sp.Name, sp.Store, err)
		}
		err = os.ErrNotExist
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cache %q: store %s: %w", sp.Name, sp.Store, err)
	}
	fresh := err != nil
	if !fresh && (!st.Mode().IsRegular() || uint64(st.Size()) != lay.size) {
		return nil, fmt.Errorf("cache %q: invalid cache store file %s (%d bytes, this cache needs %d). Please remove it or fix cache blocksize/items to match its size (or add store_delete=1)",
			sp.Name, sp.Store, st.Size(), lay.size)
	}
	f, err := os.OpenFile(sp.Store, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache %q: store: %w", sp.Name, err)
	}
	if fresh {
		if err := f.Truncate(int64(lay.size)); err != nil {
			f.Close()
			return nil, fmt.Errorf("cache %q: store: %w", sp.Name, err)
		}
	}
	c, err := mapCache(sp, f, fresh)
	if err != nil {
		return nil, err
	}
	if !fresh {
		if err := c.checkLayout(); err != nil {
			c.Close()
			return nil, err
		}
		c.hdr.Lock.Store(0) // its holder was a process of an earlier run
		c.rebuild()
	}
	return c, nil
}

// Attach maps a cache the master created, from the file it passed down.
func Attach(sp Spec, f *os.File) (*Cache, error) {
	if err := sp.fill(); err != nil {
		return nil, err
	}
	c, err := mapCache(sp, f, false)
	if err != nil {
		return nil, err
	}
	if err := c.checkLayout(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func mapCache(sp Spec, f *os.File, init bool) (*Cache, error) {
	lay := layoutOf(&sp)
	mem, err := shm.Map(f, int(lay.size))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache %q: mmap of %d bytes: %w", sp.Name, lay.size, err)
	}
	c := newCache(sp, f, mem)
	if init || bytes.Equal(c.hdr.Magic[:], make([]byte, 8)) {
		c.initHeader()
	}
	return c, nil
}

func (c *Cache) initHeader() {
	h, sp := c.hdr, c.spec
	h.Items, h.Blocks, h.BlockSz, h.KeySize, h.HashSize = sp.Items, sp.Blocks, sp.BlockSize, sp.KeySize, sp.HashSize
	if sp.Bitmap {
		h.Flags = flagBitmap
	}
	h.Version = version
	c.rebuild()
	copy(h.Magic[:], layoutMagic)
}

func (c *Cache) checkLayout() error {
	h, sp := c.hdr, c.spec
	bitmap := h.Flags&flagBitmap != 0
	if string(h.Magic[:]) != layoutMagic || h.Version != version || h.Items != sp.Items || h.Blocks != sp.Blocks ||
		h.BlockSz != sp.BlockSize || h.KeySize != sp.KeySize || h.HashSize != sp.HashSize || bitmap != sp.Bitmap {
		return fmt.Errorf("cache %q: invalid cache store file: its layout does not match the cache's options. Please remove it or fix cache blocksize/items to match its size (or add store_delete=1)", sp.Name)
	}
	return nil
}

// Sync flushes a store file to disk (a no-op without store=).
func (c *Cache) Sync() error {
	if c.spec.Store == "" {
		return nil
	}
	return shm.Sync(c.mem)
}

// Close unmaps the cache (syncing a store file) and closes its file.
func (c *Cache) Close() error {
	err := c.Sync()
	if e := shm.Unmap(c.mem); err == nil {
		err = e
	}
	if e := c.file.Close(); err == nil {
		err = e
	}
	return err
}
