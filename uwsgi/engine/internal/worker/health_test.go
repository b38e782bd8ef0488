package worker

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/options"
	"github.com/uwsgo/uwsgo/uwsgi/scoreboard"
	"github.com/valyala/fasthttp"
)

// stuckInRequest is a recognisable frame for TestRequestStacksByLabel.
//
//go:noinline
func stuckInRequest(started chan<- struct{}, release <-chan struct{}) {
	markRequest()
	defer unmarkRequest()
	started <- struct{}{}
	<-release
}

//go:noinline
func idleOutsideRequests(started chan<- struct{}, release <-chan struct{}) {
	started <- struct{}{}
	<-release
}

// Harakiri's stacks are the labelled goroutines', whatever their
// functions are called; a goroutine whose request ended is left out.
func TestRequestStacksByLabel(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	go stuckInRequest(started, release)
	go idleOutsideRequests(started, release)
	<-started
	<-started
	got := requestStacks(false)
	if !bytes.Contains(got, []byte("stuckInRequest")) {
		t.Fatalf("the request's stack is missing:\n%s", got)
	}
	if bytes.Contains(got, []byte("idleOutsideRequests")) || bytes.Contains(got, []byte("TestRequestStacksByLabel")) {
		t.Fatalf("stacks of goroutines outside requests:\n%s", got)
	}
	all := requestStacks(true)
	if !bytes.Contains(all, []byte("idleOutsideRequests")) {
		t.Fatalf("verbose: not every goroutine:\n%s", all)
	}
}

// Harakiri's first stage: a request past its deadline has its context
// cancelled with ErrHarakiri, once, and one log line; before the deadline
// nothing happens. Time is faked (testing/synctest).
func TestHarakiriFirstStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, err := config.Load([]string{"--http-socket", ":0", "--harakiri", "5"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		opts, err := options.ReadOptions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		board, err := scoreboard.Create(1, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer board.Close()
		var out bytes.Buffer
		w, err := NewWorker(1, opts, App{Fast: func(*fasthttp.RequestCtx) {}}, logger.NewLogger(&out), board, 0)
		if err != nil {
			t.Fatal(err)
		}
		ctx, detach := w.controls[0].Attach(context.Background())
		defer detach()
		w.armHarakiri(0, time.Now())
		handled := make([]int64, 1)
		for range 4 {
			time.Sleep(time.Second)
			w.checkHarakiri(time.Now(), handled)
		}
		if ctx.Err() != nil {
			t.Fatal("cancelled before the deadline")
		}
		for range 3 {
			time.Sleep(time.Second)
			w.checkHarakiri(time.Now(), handled)
		}
		w.log.Flush()
		if !errors.Is(context.Cause(ctx), ErrHarakiri) {
			t.Fatalf("cause %v, want ErrHarakiri", context.Cause(ctx))
		}
		if n := strings.Count(out.String(), "*** HARAKIRI ON WORKER 1"); n != 1 {
			t.Fatalf("%d harakiri lines, want 1:\n%s", n, out.String())
		}
	})
}
