package worker

import (
	"net"
	"testing"
	"time"
)

// The accept loop hands a connection to the most recently idle goroutine;
// the ones idle too long, and all of them once the accept loop ended, get
// nil (they end); a goroutine that finishes later is not parked again.
func TestIdleRunners(t *testing.T) {
	var ir idleRunners
	if ir.take() != nil {
		t.Fatal("a goroutine from an empty set")
	}
	a, b, c := &connRunner{next: make(chan net.Conn, 1)}, &connRunner{next: make(chan net.Conn, 1)}, &connRunner{next: make(chan net.Conn, 1)}
	for _, r := range []*connRunner{a, b, c} {
		if !ir.park(r) {
			t.Fatal("park refused before the end")
		}
	}
	if r := ir.take(); r != c {
		t.Fatal("take did not return the most recently idle goroutine")
	}
	ir.endIdle(b.since.Add(time.Nanosecond)) // a and b were idle before that
	for _, r := range []*connRunner{a, b} {
		select {
		case conn := <-r.next:
			if conn != nil {
				t.Fatal("an idle goroutine got a connection instead of its end")
			}
		default:
			t.Fatal("a goroutine idle too long was not ended")
		}
	}
	if ir.take() != nil {
		t.Fatal("an ended goroutine was handed out")
	}
	ir.park(c)
	ir.end()
	if conn, ok := <-c.next; !ok || conn != nil {
		t.Fatal("end did not end the idle goroutine")
	}
	if ir.park(a) {
		t.Fatal("a goroutine was parked after the accept loop ended")
	}
}
