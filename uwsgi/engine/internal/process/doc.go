// Package process is what a uwsgo process does to itself: its title
// (--procname*), privileges (--uid, --gid and their lookups), limits
// (--max-fd, --umask), --daemonize, its memory figures, and the tracking
// and reaping of the children it starts (hooks, daemons, workers).
//
// Guarantees: a child started through StartTracked is reaped by its
// starter, never by the orphan reaper. It knows nothing of sockets or
// HTTP.
package process
