package reqlog

import (
	"io"
	"testing"
)

func BenchmarkDefaultFormat(b *testing.B) {
	f, _ := Compile("")
	r := sample()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], r)
	}
}

func BenchmarkWriterParallel(b *testing.B) {
	w := NewWriter(io.Discard)
	f, _ := Compile("")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := sample()
		for pb.Next() {
			w.WriteRecord(f, r)
		}
	})
	w.Close()
}
