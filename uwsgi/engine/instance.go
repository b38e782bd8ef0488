package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

// Run serves app as configured by cfg until a signal stops it, and returns
// the process exit status.
func Run(cfg *config.Config, app App) int {
	opts, err := readOptions(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log, err := OpenLogger(opts.LogTo)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uwsgi: %v\n", err)
		return 1
	}
	defer log.Close()
	for _, warning := range cfg.Warnings() {
		log.Printf("%s", warning)
	}
	logStartup(log, opts)
	sockets, err := bindAll(cfg, opts)
	if err != nil {
		log.Printf("%v", err)
		return 1
	}
	for _, s := range sockets {
		log.Printf("uwsgi socket %d bound to %s address %s fd %d (%s)", s.Index, networkName(s), s.Name, fdOf(s.Listener), s.Kind)
	}
	w, err := newWorker(1, opts, app, log)
	if err != nil {
		log.Printf("uwsgi: %v", err)
		return 1
	}
	return w.serve(sockets)
}

func logStartup(log *Logger, o Options) {
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	log.Printf("*** Starting uwsgo %s (uWSGI-compatible, %s) ***", config.Version, runtime.Version())
	log.Printf("detected number of CPU cores: %d", runtime.NumCPU())
	log.Printf("current working directory: %s", wd)
	log.Printf("detected binary path: %s", exe)
	log.Printf("your server socket listen backlog is limited to %d connections", o.Backlog)
	log.Printf("your mercy for graceful operations on workers is %d seconds", int(o.ReloadMercy.Seconds()))
	if o.Cores > 1 {
		log.Printf("*** Operational MODE: goroutines *** (%d cores per worker)", o.Cores)
	} else {
		log.Printf("*** Operational MODE: single process ***")
	}
}

var errNoSockets = errors.New("uwsgi: the -s/--socket option is missing and stdin is not a socket; give --http-socket or --socket")

// bindAll binds every configured socket, uwsgi sockets first, as uWSGI numbers them.
func bindAll(cfg *config.Config, o Options) ([]*Socket, error) {
	type named struct {
		name string
		kind Kind
	}
	var names []named
	for _, n := range cfg.Strings("socket") {
		names = append(names, named{n, KindUwsgi})
	}
	for _, opt := range []string{"http-socket", "http", "http11-socket"} {
		for _, n := range cfg.Strings(opt) {
			names = append(names, named{n, KindHTTP})
		}
	}
	if len(names) == 0 {
		return nil, errNoSockets
	}
	var socks []*Socket
	for i, n := range names {
		s, err := Bind(i, n.name, n.kind, o.Sockets)
		if err != nil {
			for _, s := range socks {
				s.Close()
			}
			return nil, fmt.Errorf("uwsgi: %w", err)
		}
		socks = append(socks, s)
	}
	return socks, nil
}

func networkName(s *Socket) string {
	if s.Network == "tcp" {
		return "TCP"
	}
	return "UNIX"
}

// serve runs the socket servers until a signal or a fatal error.
func (w *Worker) serve(sockets []*Socket) int {
	errc := make(chan error, len(sockets))
	var running sync.WaitGroup
	for _, s := range sockets {
		run := w.serverFor(s)
		running.Add(1)
		go func() {
			defer running.Done()
			if err := run(); err != nil {
				errc <- fmt.Errorf("socket %s: %w", s.Name, err)
			}
		}()
	}
	w.log.Printf("spawned uWSGI worker %d (and the only) (pid: %d, cores: %d)", w.ID, w.pid, w.cores.Len())

	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigc)
	for {
		select {
		case err := <-errc:
			w.log.Printf("uwsgi: %v", err)
			w.stopNow()
			return 1
		case sig := <-sigc:
			switch sig {
			case syscall.SIGINT, syscall.SIGQUIT:
				w.log.Printf("SIGINT/SIGQUIT received...killing workers...")
				w.stopNow()
				w.log.Printf("goodbye to uWSGI.")
				return 0
			case syscall.SIGTERM:
				w.log.Printf("SIGTERM received: graceful shutdown (waiting up to %d seconds for requests in flight)", int(w.opts.ReloadMercy.Seconds()))
				w.stopGracefully()
				running.Wait()
				w.log.Printf("goodbye to uWSGI.")
				return 0
			case syscall.SIGHUP:
				w.log.Printf("SIGHUP received: a graceful reload needs --master; ignored in single-process mode")
			case syscall.SIGUSR1, syscall.SIGUSR2:
				w.log.Printf("worker %d (pid: %d): %d requests, %d of %d cores busy", w.ID, w.pid, w.Requests(), w.cores.Busy(), w.cores.Len())
			}
		}
	}
}

// serverFor returns the serving loop of one socket.
func (w *Worker) serverFor(s *Socket) func() error {
	if s.Kind == KindHTTP {
		hs := newHTTPServer(w, s)
		w.http = append(w.http, hs)
		return hs.run
	}
	us := newUwsgiServer(w, s)
	w.uwsgi = append(w.uwsgi, us)
	return us.run
}

// stopNow closes every listener and connection at once.
func (w *Worker) stopNow() {
	for _, hs := range w.http {
		_ = hs.sock.Close()
	}
	for _, us := range w.uwsgi {
		us.close()
	}
}

// stopGracefully stops accepting and waits, up to the reload mercy, for the
// requests in flight.
func (w *Worker) stopGracefully() {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.ReloadMercy)
	defer cancel()
	var wg sync.WaitGroup
	for _, hs := range w.http {
		wg.Go(func() {
			if err := hs.srv.ShutdownWithContext(ctx); err != nil {
				w.log.Printf("graceful shutdown of %s: %v", hs.sock.Name, err)
			}
		})
	}
	for _, us := range w.uwsgi {
		wg.Go(func() { us.shutdown(ctx) })
	}
	wg.Wait()
}
