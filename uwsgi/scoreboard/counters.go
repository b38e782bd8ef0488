package scoreboard

// Request counters without cross-worker writes.
//
// A worker counts each request in its own slot only: CountRequest adds to
// the slot's counters, on cache lines no other worker writes. The
// instance's total (uWSGI's "req: N/TOTAL" in the log line, the master's
// "*** instance: N requests ***") is the sum of every slot's Served
// counter, read when someone asks for it (TotalRequests): a request line
// when logging is on, the master's report. With one shared counter in the
// header, every request of every worker moved the header's cache line,
// which holds the accept locks, from CPU to CPU.
//
// Layout and false sharing: the header is 64 bytes, worker slots and core
// slots are 256 bytes each, all at multiples of 64 from the page-aligned
// start of the mapping, so no two slots share a cache line; a core slot is
// written by the one request on its core, a worker slot by its worker
// (and, seldom, by the master: status, memory, spawn data).

// CountRequest counts one finished request in worker slot w and returns
// the slot's request number since its worker was spawned (uWSGI's
// per-worker "delta" and the log line's app request number).
func (w *Worker) CountRequest() (delta uint64) {
	delta = w.DeltaRequests.Add(1)
	w.Requests.Add(1)
	w.Served.Add(1)
	return delta
}

// TotalRequests is the number of requests the instance served: the sum of
// the slots' Served counters. Counted while requests run, it is as exact
// as uWSGI's shared counter: a request counts from its CountRequest on.
func (b *Board) TotalRequests() uint64 {
	var n uint64
	for i := range b.slots {
		n += b.Worker(i).Served.Load()
	}
	return n
}
