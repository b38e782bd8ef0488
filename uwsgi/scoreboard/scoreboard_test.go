package scoreboard

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
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
	b.Worker(2).Requests.Add(5)
	b.Core(3, 2).Requests.Add(7)
	b.Worker(1).CountRequest()
	if got := o.Worker(2).Requests.Load(); got != 5 {
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

// TestLayoutIsStable: the board crosses binary upgrades (workers of the new
// binary open the running master's board; the new master image adopts it),
// so every field keeps its offset, as layoutVersion 1 laid them out. A
// field may be added at the end of a slot (within its size); moving or
// retyping one needs a new layoutVersion, which makes upgrades from older
// builds fail.
func TestLayoutIsStable(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{header{}, "Magic 0 Version 4 Slots 8 Cores 12 formerTotal 16 AcceptLocks 24"},
		{Worker{}, "ID 0 Accepting 4 Status 8 Signum 12 PID 16 Generation 24 Requests 32 DeltaRequests 40 Exceptions 48 HarakiriCount 56 " +
			"Signals 64 RSS 72 VSZ 80 RunningTime 88 LastSpawn 96 RespawnCount 104 TX 112 AvgRT 120 Queued 128 Served 136"},
		{Core{}, "Requests 0 StaticRequests 8 RoutedRequests 16 OffloadedRequests 24 WriteErrors 32 ReadErrors 40 InRequest 48 _ 52 " +
			"RequestStart 56 HarakiriDeadline 64 methodLen 72 uriLen 76 method 80 uri 92"},
	} {
		ty := reflect.TypeOf(c.v)
		var got []string
		for i := range ty.NumField() {
			f := ty.Field(i)
			got = append(got, fmt.Sprintf("%s %d", f.Name, f.Offset))
		}
		if g := strings.Join(got, " "); !strings.HasPrefix(g, c.want) {
			t.Errorf("%s layout\n%s\nwant it to start with layoutVersion %d's\n%s", ty.Name(), g, layoutVersion, c.want)
		}
	}
}
