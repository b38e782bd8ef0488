package socket

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
)

// AcceptRetrying is the accept loop of both socket servers: it accepts
// from ln, and on an error other than a closed listener it logs once,
// backs off (5 ms doubling to 1 s) and tries again, as uWSGI goes on after
// a failed accept(): running out of descriptors (EMFILE), memory or
// buffers, an aborted connection, or any other error of a listener that
// is still open. The line "accepting again" follows the first success.
// closing (nil: never) tells a stop in progress, which ends the loop with
// the error; log may be nil.
func AcceptRetrying(ln net.Listener, name fmt.Stringer, log *logger.Logger, closing func() bool) (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err == nil {
			if backoff > 0 && log != nil {
				log.Printf("uwsgi: accepting again on %s", name)
			}
			return c, nil
		}
		if (closing != nil && closing()) || !retryAccept(err) {
			return nil, err
		}
		if backoff == 0 && log != nil {
			log.Printf("uwsgi: accept() on %s: %v (retrying, quietly, until it works)", name, err)
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		time.Sleep(backoff)
	}
}

// retryAccept reports whether an accept error is worth retrying: every
// error of a listener that is not closed.
func retryAccept(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	var ne net.Error
	return RetryableAccept(err) || errors.As(err, &ne)
}

// RetryableAccept reports whether an accept error is one of the
// transient ones: out of descriptors, buffers or memory, an aborted
// connection, an interrupted call.
func RetryableAccept(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EINTR)
}

// String is the socket's name, for log lines.
func (s *Socket) String() string { return s.Name }

// String is the listener's address, for log lines.
func (l *DrainListener) String() string { return l.Addr().String() }
