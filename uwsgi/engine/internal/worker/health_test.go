package worker

import (
	"bytes"
	"testing"
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
