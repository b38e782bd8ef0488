package scoreboard

import (
	"os"
	"strconv"
	"testing"
)

func TestCreateOpenShareCounters(t *testing.T) {
	b, err := Create(4, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// A second mapping of the same file sees the same memory, as a worker does.
	dup, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(b.File().Fd())), os.O_RDWR, 0)
	if err != nil {
		t.Skip("no /proc: ", err)
	}
	o, err := Open(dup)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Slots() != 4 || o.Cores() != 3 {
		t.Fatalf("Open layout = %d slots × %d cores, want 4 × 3", o.Slots(), o.Cores())
	}
	b.Worker(2).CarriedRequests.Add(5)
	b.Core(3, 2).Requests.Add(7)
	b.Worker(1).CountRequest()
	if got := o.Worker(2).RequestCount(); got != 5 {
		t.Fatalf("worker 2 requests via second mapping = %d, want 5", got)
	}
	if got := o.Core(3, 2).Requests.Load(); got != 7 {
		t.Fatalf("core 3/2 requests = %d, want 7", got)
	}
	if got := o.TotalRequests(); got != 1 {
		t.Fatalf("total = %d, want 1", got)
	}
	// Slots do not overlap: writing the last core of slot 0 leaves slot 1 alone.
	b.Core(0, 2).ReadErrors.Store(^uint64(0))
	if o.Worker(1).ID.Load() != 0 || o.Worker(1).PID.Load() != 0 {
		t.Fatal("core slot overlaps the next worker slot")
	}
	b.Reset(3)
	if o.Core(3, 2).Requests.Load() != 0 {
		t.Fatal("Reset left core counters")
	}
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Truncate(4096)
	if _, err := Open(f); err != ErrLayout {
		t.Fatalf("Open(random file) = %v, want ErrLayout", err)
	}
}
