package proto

import "testing"

func BenchmarkParseHeader(b *testing.B) {
	p := nginxPacket()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseHeader(p)
	}
}

func BenchmarkDecodeVars(b *testing.B) {
	p := nginxPacket()
	block := p[HeaderSize:]
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ForEachVar(block, 128, func(k, v []byte) bool { return true })
	}
}

func BenchmarkEncodePacket(b *testing.B) {
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendPacket(buf[:0], 0, 0, "REQUEST_METHOD", "GET", "REQUEST_URI", "/view/", "HTTP_HOST", "localhost")
	}
}
