// Package cores is the loop engine: a worker's N cores (--goroutines,
// --threads), each a slot for one request in flight, with their state in
// the shared scoreboard, and the admission rules that let a worker accept
// a connection only while it has a free core (reserve, use, the accept
// turns of --thunder-lock, see docs/architecture.md "The loop engine and
// accepting").
//
// Guarantees: a core is never held by two requests; a request waiting for
// a core of its worker goes before a new connection; Acquire, Release and
// the reservations allocate nothing. It knows nothing of sockets, HTTP or
// processes (the scoreboard is handed in).
package cores
