package worker

import (
	"net"
	"time"
)

// uwatch is the disconnect watcher of a uwsgi-socket connection: once the
// request body was read, a background read learns that the front end
// (nginx, whose client went away, or a raw client) closed the connection,
// and the bridge cancels the request's context, as net/http does on an
// HTTP connection.
type uwatch struct {
	done     chan struct{} // closed when the background read ended; nil when none runs
	stopping bool
	buf      [1]byte
}

// WatchClose implements the bridge's watchConn: onGone runs if the peer
// closes or resets the connection before StopWatch.
func (uc *uconn) WatchClose(onGone func()) {
	uc.wmu.Lock()
	defer uc.wmu.Unlock()
	if uc.watch.done != nil || !uc.body.Done() {
		return
	}
	uc.watch.done = make(chan struct{})
	uc.watch.stopping = false
	go uc.backgroundRead(uc.watch.done, onGone)
}

func (uc *uconn) backgroundRead(done chan struct{}, onGone func()) {
	defer close(done)
	for {
		n, err := uc.Conn.Read(uc.watch.buf[:])
		if n > 0 {
			continue // nothing follows a request on a uwsgi connection: ignore it
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			uc.wmu.Lock()
			stopping := uc.watch.stopping
			uc.wmu.Unlock()
			if stopping {
				return
			}
			// The body's read deadline: keep watching.
			_ = uc.Conn.SetReadDeadline(time.Time{})
			continue
		}
		if err != nil {
			onGone()
			return
		}
	}
}

// StopWatch implements the bridge's watchConn: it aborts the background
// read and waits for it.
func (uc *uconn) StopWatch() {
	uc.wmu.Lock()
	done := uc.watch.done
	uc.watch.done = nil
	uc.watch.stopping = true
	uc.wmu.Unlock()
	if done == nil {
		return
	}
	_ = uc.Conn.SetReadDeadline(aLongTimeAgo)
	<-done
	_ = uc.Conn.SetReadDeadline(time.Time{})
}

var aLongTimeAgo = time.Unix(1, 0)
