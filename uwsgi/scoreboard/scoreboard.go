// Package scoreboard is the shared memory through which workers report to
// the master: one fixed-layout slot per worker process and per core.
//
// The master creates the board (a memfd on Linux) and passes its file to
// every worker it spawns; both map it. Workers write their own slots with
// atomics only, with no lock and no system call on the request path; the
// master reads every slot for the stats server, harakiri and recycling.
package scoreboard

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/uwsgo/uwsgo/uwsgi/internal/shm"
)

// Layout sizes. A worker slot holds its counters and then its cores' slots.
const (
	headerSize = 64
	workerSize = 256
	coreSize   = 256
	magic      = 0x75777367 // "uwsg"
	// layoutVersion is checked by Open. The board crosses binary upgrades
	// (workers of the new binary open the running master's board, the new
	// master image adopts it), so a new version makes an upgrade from an
	// older build fail: keep fields where they are and what they mean.
	layoutVersion = 1
)

// Status values of a worker slot.
const (
	StatusIdle uint32 = iota
	StatusBusy
	StatusCheap
	StatusPause
	StatusSig
)

// header is the board's first bytes. Nothing in it is written per
// request: its cache line holds the accept locks, which every worker's
// accept loop reads and takes (see counters.go).
type header struct {
	Magic   atomic.Uint32
	Version atomic.Uint32
	Slots   atomic.Uint32
	Cores   atomic.Uint32
	// formerTotal was the instance's request counter, written by every
	// worker per request. It stays for the layout (binaries of the same
	// version take over one another's board across a binary upgrade);
	// TotalRequests sums the workers' Served counters instead.
	formerTotal atomic.Uint64
	// AcceptLocks serialize accept(2) over the workers, one per socket
	// index modulo their number (see package plock).
	AcceptLocks [acceptLocks]atomic.Uint32
}

// acceptLocks is how many accept locks the header holds.
const acceptLocks = 8

// Worker is the slot of one worker process.
type Worker struct {
	ID            atomic.Uint32 // worker id 1..N, 0 when the slot is free
	Accepting     atomic.Uint32
	Status        atomic.Uint32
	Signum        atomic.Uint32 // signal being handled when Status is StatusSig
	PID           atomic.Int64
	Generation    atomic.Uint64
	Requests      atomic.Uint64
	DeltaRequests atomic.Uint64
	Exceptions    atomic.Uint64
	HarakiriCount atomic.Uint64
	Signals       atomic.Uint64
	RSS           atomic.Uint64
	VSZ           atomic.Uint64
	RunningTime   atomic.Uint64 // µs
	LastSpawn     atomic.Int64  // unix seconds
	RespawnCount  atomic.Uint64
	TX            atomic.Uint64
	AvgRT         atomic.Uint64 // µs
	Queued        atomic.Uint64 // requests waiting for a free core (sampled for the cheaper algorithms)
	// Served counts the requests served from this slot by all the
	// processes that had it; Reset keeps it (see TotalRequests).
	Served atomic.Uint64
}

// Core is the slot of one core of a worker.
type Core struct {
	Requests          atomic.Uint64
	StaticRequests    atomic.Uint64
	RoutedRequests    atomic.Uint64
	OffloadedRequests atomic.Uint64
	WriteErrors       atomic.Uint64
	ReadErrors        atomic.Uint64
	InRequest         atomic.Uint32
	_                 uint32
	RequestStart      atomic.Int64 // unix µs
	HarakiriDeadline  atomic.Int64 // unix µs, 0 = none
	// The request in flight, for the stats: method and URI, truncated to
	// fit. Written by the core's worker, read without a lock (a reader may
	// see a request change under it; the stats say what they saw).
	methodLen atomic.Uint32
	uriLen    atomic.Uint32
	method    [12]byte
	uri       [96]byte
}

// SetRequest records the request the core serves now.
func (c *Core) SetRequest(method, uri []byte) {
	c.methodLen.Store(uint32(copy(c.method[:], method)))
	c.uriLen.Store(uint32(copy(c.uri[:], uri)))
}

// Request returns copies of the recorded method and URI.
func (c *Core) Request() (method, uri string) {
	m := min(int(c.methodLen.Load()), len(c.method))
	u := min(int(c.uriLen.Load()), len(c.uri))
	return string(c.method[:m]), string(c.uri[:u])
}

// Board is a mapped scoreboard.
type Board struct {
	file  *os.File
	mem   []byte
	slots int
	cores int
}

func init() {
	if unsafe.Sizeof(header{}) > headerSize || unsafe.Sizeof(Worker{}) > workerSize || unsafe.Sizeof(Core{}) > coreSize {
		panic("scoreboard: layout constants too small")
	}
}

func size(slots, cores int) int {
	return headerSize + slots*(workerSize+cores*coreSize)
}

// ErrLayout is returned by Open for a file that is not a scoreboard.
var ErrLayout = errors.New("scoreboard: not a scoreboard of this version")

// Create makes a board with room for slots workers of cores cores each.
func Create(slots, cores int) (*Board, error) {
	if slots < 1 || cores < 1 {
		return nil, fmt.Errorf("scoreboard: need at least one slot and one core (got %d, %d)", slots, cores)
	}
	f, err := shm.NewFile("uwsgo-scoreboard", int64(size(slots, cores)))
	if err != nil {
		return nil, fmt.Errorf("scoreboard: %w", err)
	}
	b, err := mapFile(f, size(slots, cores))
	if err != nil {
		f.Close()
		return nil, err
	}
	h := b.header()
	h.Slots.Store(uint32(slots))
	h.Cores.Store(uint32(cores))
	h.Version.Store(layoutVersion)
	h.Magic.Store(magic)
	b.slots, b.cores = slots, cores
	return b, nil
}

// Open maps a board created by Create in another process.
func Open(f *os.File) (*Board, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scoreboard: %w", err)
	}
	b, err := mapFile(f, int(fi.Size()))
	if err != nil {
		return nil, err
	}
	h := b.header()
	if h.Magic.Load() != magic || h.Version.Load() != layoutVersion {
		b.Close()
		return nil, ErrLayout
	}
	b.slots, b.cores = int(h.Slots.Load()), int(h.Cores.Load())
	if size(b.slots, b.cores) > len(b.mem) {
		b.Close()
		return nil, ErrLayout
	}
	return b, nil
}

// File is the board's file, to pass to a child process.
func (b *Board) File() *os.File { return b.file }

// Slots is the number of worker slots.
func (b *Board) Slots() int { return b.slots }

// Cores is the number of cores per worker slot.
func (b *Board) Cores() int { return b.cores }

func (b *Board) header() *header { return (*header)(unsafe.Pointer(&b.mem[0])) }

// AcceptLock is the word that serializes accepting on socket index i over
// the workers (sockets past the eighth share words).
func (b *Board) AcceptLock(i int) *atomic.Uint32 { return &b.header().AcceptLocks[i%acceptLocks] }

// AcceptLocks is the number of distinct accept lock words.
func (b *Board) AcceptLocks() int { return acceptLocks }

// Worker returns slot i (0-based).
func (b *Board) Worker(i int) *Worker {
	off := headerSize + i*(workerSize+b.cores*coreSize)
	return (*Worker)(unsafe.Pointer(&b.mem[off]))
}

// Core returns core j of worker slot i.
func (b *Board) Core(i, j int) *Core {
	off := headerSize + i*(workerSize+b.cores*coreSize) + workerSize + j*coreSize
	return (*Core)(unsafe.Pointer(&b.mem[off]))
}

// Reset zeroes slot i and its cores (before a new worker takes it), but
// for its Served count, which the instance's total goes on including.
func (b *Board) Reset(i int) {
	served := b.Worker(i).Served.Load()
	off := headerSize + i*(workerSize+b.cores*coreSize)
	clear(b.mem[off : off+workerSize+b.cores*coreSize])
	b.Worker(i).Served.Store(served)
}

// Close unmaps the board and closes its file.
func (b *Board) Close() error {
	err := shm.Unmap(b.mem)
	if b.file != nil {
		if cerr := b.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func mapFile(f *os.File, n int) (*Board, error) {
	mem, err := shm.Map(f, n)
	if err != nil {
		return nil, fmt.Errorf("scoreboard: mmap: %w", err)
	}
	return &Board{file: f, mem: mem}, nil
}
