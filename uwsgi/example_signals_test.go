package uwsgi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi"
)

// A handler for uWSGI signal 17, run by every worker (the master routes
// the signal); a request raises it. Run with --master --processes 2.
func ExampleRegisterSignal() {
	if !uwsgi.RegisterSignal(17, "workers", func(signum uint8) {
		log.Printf("worker %d: signal %d: reloading the settings", uwsgi.WorkerID(), signum)
	}) {
		log.Fatal("signal 17: no master")
	}
	http.HandleFunc("/reload-settings", func(w http.ResponseWriter, r *http.Request) {
		if err := uwsgi.Signal(17); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	uwsgi.Run()
}

// Signal asks the master to route a registered signal: here from a
// handler, to one worker ("worker" is the default target).
func ExampleSignal() {
	uwsgi.RegisterSignal(30, "", func(uint8) { log.Print("flushing the counters") })
	http.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		if err := uwsgi.Signal(30); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "flush asked")
	})
	uwsgi.Run()
}

// A timer: the master raises signal 5 every 10 seconds, and one worker
// runs its handler. Every worker may ask: the master keeps one timer.
func ExampleAddTimer() {
	uwsgi.RegisterSignal(5, "worker", func(uint8) { log.Print("housekeeping") })
	if err := uwsgi.AddTimer(5, 10); err != nil {
		log.Fatal(err)
	}
	uwsgi.Run()
}

// A cron entry: signal 6 at 03:30 every day, run in every worker
// (-1 matches any day, month and weekday).
func ExampleAddCron() {
	uwsgi.RegisterSignal(6, "workers", func(uint8) { log.Print("rotating the local files") })
	if err := uwsgi.AddCron(6, 30, 3, -1, -1, -1); err != nil {
		log.Fatal(err)
	}
	uwsgi.Run()
}

// A function callable over uWSGI's RPC, here called in this process
// (node ""); other uWSGI or uwsgo instances call it through --socket.
// (The examples in this file are compiled, not run: they read uWSGI's
// options from the command line.)
func ExampleRegisterRPC() {
	err := uwsgi.RegisterRPC("upper", func(args ...[]byte) []byte {
		return []byte(strings.ToUpper(string(args[0])))
	})
	if err != nil {
		log.Fatal(err)
	}
	out, err := uwsgi.RPC("", "upper", []byte("hello"))
	fmt.Println(string(out), err) // HELLO <nil>
}

// RPC calls a function by name: in this process with node "", or on the
// instance whose uwsgi socket is node ("127.0.0.1:3031", a unix path).
func ExampleRPC() {
	_ = uwsgi.RegisterRPC("sum", func(args ...[]byte) []byte {
		return []byte(fmt.Sprint(len(args[0]) + len(args[1])))
	})
	out, err := uwsgi.RPC("", "sum", []byte("ab"), []byte("cde"))
	fmt.Println(string(out), err) // 5 <nil>
	_, err = uwsgi.RPC("", "missing")
	fmt.Println(err) // uwsgi: unknown RPC function "missing"
}

// A report that may take long asks for more time than --harakiri gives,
// and tells a harakiri from a client that went away.
func ExampleSetHarakiri() {
	http.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		uwsgi.SetHarakiri(r, 120) // this request only: 120 s from now
		select {
		case <-time.After(30 * time.Second): // the long work
			fmt.Fprintln(w, "report ready")
		case <-r.Context().Done():
			if errors.Is(context.Cause(r.Context()), uwsgi.ErrHarakiri) {
				log.Print("report: harakiri")
			}
		}
	})
	uwsgi.Run()
}
