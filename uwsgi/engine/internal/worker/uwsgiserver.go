package worker

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/uwsgo/uwsgo/uwsgi/bridge"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
)

// uwsgiServer serves one --socket: one request per connection, as uWSGI.
type uwsgiServer struct {
	w      *Worker
	sock   *socket.Socket
	bridge bridge.Server

	mu         sync.Mutex
	conns      map[net.Conn]struct{}
	closing    bool
	active     sync.WaitGroup
	acceptDone chan struct{} // closed when the accept loop returned
	runners    idleRunners   // connection goroutines waiting for the next one
}

func newUwsgiServer(w *Worker, sock *socket.Socket) *uwsgiServer {
	us := &uwsgiServer{w: w, sock: sock, conns: map[net.Conn]struct{}{}, acceptDone: make(chan struct{})}
	w.setupBridge(&us.bridge, nil, sock)
	return us
}

// run accepts connections until the listener closes.
func (us *uwsgiServer) run() error {
	defer close(us.acceptDone)
	defer us.runners.end()
	go us.runners.expire(us.acceptDone)
	for {
		c, err := socket.AcceptRetrying(socket.SockListener{S: us.sock}, us.sock, us.w.log, us.isClosing)
		if err != nil {
			if us.isClosing() {
				return nil
			}
			return err
		}
		if !us.w.conns.TryAdd() {
			_ = c.Close() // --max-conns: nginx answers its client 502
			continue
		}
		us.track(c, true)
		us.active.Add(1)
		if r := us.runners.take(); r != nil {
			r.next <- c // a goroutine that served a connection before takes it
		} else {
			go us.connLoop(c)
		}
	}
}

// connLoop serves c, then the connections the accept loop hands it (see
// idleRunners), until none came for connIdleTime. Reusing goroutines keeps
// their grown stacks: a new goroutine per connection spent 4% of the CPU
// growing its stack.
func (us *uwsgiServer) connLoop(c net.Conn) {
	r := &connRunner{next: make(chan net.Conn, 1)}
	for c != nil {
		us.serveConn(c)
		if !us.runners.park(r) {
			return
		}
		c = <-r.next // nil: idle too long, or the accept loop ended
	}
}

func (us *uwsgiServer) isClosing() bool {
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.closing
}

// track adds or removes a connection of the set close ends at once. A
// connection accepted while a graceful shutdown runs is still served.
func (us *uwsgiServer) track(c net.Conn, add bool) {
	us.mu.Lock()
	defer us.mu.Unlock()
	if add {
		us.conns[c] = struct{}{}
	} else {
		delete(us.conns, c)
	}
}

// Close stops at once: the listener and every connection.
func (us *uwsgiServer) Close() {
	us.mu.Lock()
	us.closing = true
	for c := range us.conns {
		c.Close()
	}
	us.mu.Unlock()
	_ = us.sock.Close()
}

// shutdown stops accepting and waits for the connections in flight, then
// closes what is left when ctx ends.
func (us *uwsgiServer) shutdown(ctx context.Context) {
	us.mu.Lock()
	us.closing = true
	us.mu.Unlock()
	_ = us.sock.Close()
	<-us.acceptDone // every accepted connection is counted in active now
	done := make(chan struct{})
	go func() { us.active.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		us.Close()
	}
}

// serveConn reads one packet and answers it.
func (us *uwsgiServer) serveConn(nc net.Conn) {
	defer us.active.Done()
	defer us.w.conns.Done()
	defer us.track(nc, false)
	uc := acquireUconn(nc, us.w.opts.BufferSize, us.w.opts.SocketTimeout)
	defer releaseUconn(uc)
	if err := uc.readPacket(us.w.opts.SocketTimeout); err != nil {
		if err != io.EOF {
			us.w.log.Printf("%v", err)
		}
		nc.Close()
		return
	}
	switch uc.hdr.Modifier1 {
	case uint8(proto.ModWSGI), uint8(proto.ModGo):
		us.serveApp(uc)
	case uint8(proto.ModPing):
		_, _ = nc.Write(pingReply[:])
	case uint8(proto.ModRPC):
		us.serveRPC(uc)
	case uint8(proto.ModCache):
		us.serveCache(uc)
	case uint8(proto.ModSignal):
		reply := signalQueued
		if err := RaiseSignal(uc.hdr.Modifier2); err != nil {
			reply = signalRefused
			us.w.log.Printf("unable to deliver signal %d: %v", uc.hdr.Modifier2, err)
		}
		_, _ = nc.Write(reply[:])
	default:
		us.w.log.Printf("-- unavailable modifier requested: %d --", uc.hdr.Modifier1)
	}
	uc.finish()
}

var (
	pingReply     = proto.Header{Modifier1: uint8(proto.ModPing), Modifier2: 1}.Bytes()
	signalQueued  = proto.Header{Modifier1: uint8(proto.ModResponse), Modifier2: 1}.Bytes()
	signalRefused = proto.Header{Modifier1: uint8(proto.ModResponse), Modifier2: 0}.Bytes()
)

// serveApp runs the app for an application request.
func (us *uwsgiServer) serveApp(uc *uconn) {
	markRequest() // harakiri's stacks (health.go)
	defer unmarkRequest()
	w := us.w
	if err := uc.buildRequest(proto.MaxPairs(w.opts.MaxVars), fasthttpLogger{w.log}); err != nil {
		w.log.Printf("%v", err)
		return
	}
	ctx := &uc.ctx
	if lim := w.opts.LimitPost; lim > 0 && uc.contentLength > lim {
		w.log.Printf("Invalid (too big) CONTENT_LENGTH. skip.")
		return
	}
	core, start, res := w.dispatch(ctx, &us.bridge, bridge.ModeUwsgi, uc)
	if err := uc.body.err; err != nil {
		res.IOError = true
		w.log.Printf("uwsgi: request body from %s cut short: %d of %d bytes missing (%v)", uc.Conn.RemoteAddr(), uc.body.remain, uc.contentLength, err)
	}
	if res.Hijacked {
		uc.hijacked = true
	} else if !res.Streamed {
		uc.writeResponse()
	}
	w.finishRequest(&uc.ctx, core, start, &res, func() reqSize {
		return reqSize{uc.vars, uc.pktSize, uc.hdr.Modifier1}
	})
}
