package master

import (
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
)

// checkListenQueues logs uWSGI's warning, once a master tick, for every
// socket whose accept queue in the kernel is full: connections no worker
// took because every core was busy (see admit.go). As in uWSGI the line
// carries a date, and the queue can show one more than the backlog (Linux
// lets it reach backlog+1). The fd is the one the workers serve it on.
func (m *master) checkListenQueues(now time.Time) {
	for i, so := range m.sockets {
		q, max := socket.ListenQueue(so.Listener, uint64(so.Backlog))
		if q > 0 && q >= max {
			m.log.Printf("%s - *** uWSGI listen queue of socket %q (fd: %d) full !!! (%d/%d) ***",
				now.Format("Mon Jan _2 15:04:05 2006"), so.Name, handoff.Layout{}.Socket(i), q, max)
		}
	}
}
