// Package caches holds this process's caches (--cache2): created by the
// master (or a single process) in shared memory, inherited by the
// workers through their descriptors, adopted across a binary upgrade,
// and looked up by name.
//
// The caches are a process-wide registry on purpose: the app reaches them
// through package uwsgi's functions (CacheGet, CacheSet...), which take
// no handle. Caches builds it once per process; everything else reads it.
package caches
