// Package master is the master process: it binds the sockets once,
// spawns the workers (re-executing its own binary, package handoff's
// descriptor table and environment), watches and respawns them, and runs
// everything scheduled on the master: reloads and rollouts, binary
// upgrades (re-exec in place, adopting the workers), harakiri's second
// stage and recycling, cheaper modes, touch files, the master FIFO,
// master signals, file monitors, uWSGI signal routing, timers and crons,
// subscriptions, attached daemons, the log master, the stats server, and
// the Emperor protocol and systemd notifications (the vassal's side).
//
// Process and goroutines: RunMaster runs on one locked OS thread (workers
// die with the thread that started them, Pdeathsig, and execve keeps only
// the caller's thread), and one loop (Loop) handles every event in turn:
// signals, the workers' messages and exits, the FIFO, the Emperor's
// commands and a one-second tick. Goroutines only read (a worker's
// control channel, the FIFO, inotify) and send events to the loop.
//
// This package never imports the worker's; the two meet only through
// package handoff.
package master
