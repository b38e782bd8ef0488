package bufcopy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// writerOnly records writes and fails the test if ReadFrom is used.
type writerOnly struct{ bytes.Buffer }

func (w *writerOnly) ReadFrom(io.Reader) (int64, error) { panic("ReadFrom called") }

func TestCopy(t *testing.T) {
	src := strings.Repeat("0123456789", 10000) // 100 kB: several buffers
	var w writerOnly
	n, err := Copy(&w, iotest.OneByteReader(strings.NewReader(src[:10])))
	if err != nil || n != 10 || w.String() != src[:10] {
		t.Fatalf("one-byte reads: %d %v %q", n, err, w.String())
	}
	w.Reset()
	if n, err = Copy(&w, strings.NewReader(src)); err != nil || n != int64(len(src)) || w.String() != src {
		t.Fatalf("copied %d of %d: %v", n, len(src), err)
	}
	boom := errors.New("boom")
	if n, err = Copy(&w, iotest.TimeoutReader(strings.NewReader(src))); !errors.Is(err, iotest.ErrTimeout) || n != 32<<10 {
		t.Fatalf("read error: %d %v", n, err)
	}
	if _, err = Copy(failWriter{boom}, strings.NewReader(src)); err != boom {
		t.Fatalf("write error: %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }
