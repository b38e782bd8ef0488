// Package engine runs a uwsgo instance: Run reads the options, finds the
// process's role and hands over to it:
//
//   - a process spawned by a master (UWSGO_ROLE=worker) runs as that
//     worker (package internal/worker);
//   - with --emperor it runs the Emperor (package uwsgi/emperor);
//   - with --master, or any option that needs one, it becomes the master
//     (package internal/master), which spawns the workers;
//   - otherwise it serves alone: one process binds the sockets and serves
//     as worker 1, with the master's duties a single process keeps
//     (attached daemons, the stats server, the caches' duties).
//
// The master and the worker packages never import each other: their
// contract (environment, descriptors, control messages, the state a
// binary upgrade hands over) is package internal/handoff. The names here
// are the ones package uwsgi builds its API on. See docs/architecture.md.
//
// uwsgo runs on Linux only (memfd, Pdeathsig, inotify, accept4, prctl):
// building for another system fails with "undefined:
// uwsgo_serves_on_linux_only".
package engine
