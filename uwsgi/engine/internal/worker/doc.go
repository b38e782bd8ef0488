// Package worker is a worker process: the loop engine's cores serving the
// app on the sockets it inherited (or bound, serving alone), through the
// HTTP server (fasthttp; TLS, HTTP/2 and ACME challenges on HTTPS
// sockets) and the uwsgi protocol server; the request path around the
// app (limits and guards, --post-buffering, --max-conns shedding,
// internal routing, static files, the request log, accounting in the
// scoreboard); RPC, cache and signal packets; harakiri's first stage and
// recycling; and the worker's signals and control channel.
//
// Process and goroutines: RunWorker runs in a process the master spawned;
// one goroutine per socket accepts (only while a core is free), each
// connection is served on its own goroutine (fasthttp's worker pool, or
// the uwsgi server's reused goroutines), a request runs on one core from
// the end of its header to the end of its handler, and one goroutine each
// watches harakiri, runs the signal handlers in order, and reads the
// master's messages.
//
// The RPC functions and the signal handlers are process-wide registries,
// filled by the app's main() before Run (RegisterRPC, RegisterSignal).
// This package never imports the master's; the two meet only through
// package handoff.
package worker
