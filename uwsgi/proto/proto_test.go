package proto

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want Header
		err  error
	}{
		{[]byte{0, 0x10, 0x01, 0}, Header{0, 0x0110, 0}, nil},
		{[]byte{100, 0, 0, 1}, Header{100, 0, 1}, nil},
		{[]byte{173, 0xff, 0xff, 2, 9}, Header{173, 65535, 2}, nil},
		{[]byte{0, 1, 2}, Header{}, ErrShortHeader},
		{nil, Header{}, ErrShortHeader},
	} {
		got, err := ParseHeader(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("ParseHeader(% x) = %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil {
			if b := got.Bytes(); !bytes.Equal(b[:], tc.in[:4]) {
				t.Errorf("Bytes() = % x, want % x", b, tc.in[:4])
			}
		}
	}
}

func TestForEachVar(t *testing.T) {
	good := AppendVar(AppendVar(AppendVar(nil, "REQUEST_METHOD", "GET"), "EMPTY", ""), "K", "v")
	dup := AppendVar(AppendVar(nil, "HTTP_X", "1"), "HTTP_X", "2")
	for _, tc := range []struct {
		name  string
		block []byte
		max   int
		want  string
		pairs int
		err   error
	}{
		{"good", good, 128, "REQUEST_METHOD=GET;EMPTY=;K=v;", 3, nil},
		{"empty block", nil, 128, "", 0, nil},
		{"duplicates kept", dup, 128, "HTTP_X=1;HTTP_X=2;", 2, nil},
		{"empty last value", AppendVar(nil, "A", ""), 128, "A=;", 1, nil},
		{"zero-length key", AppendVar(nil, "", "x"), 128, "", 0, ErrEmptyKey},
		{"truncated key length", []byte{5}, 128, "", 0, ErrTruncated},
		{"key past end", []byte{5, 0, 'a', 'b'}, 128, "", 0, ErrTruncated},
		{"missing value length", []byte{1, 0, 'a'}, 128, "", 0, ErrTruncated},
		{"value past end", []byte{1, 0, 'a', 9, 0, 'x'}, 128, "", 0, ErrTruncated},
		{"too many vars", good, 2, "REQUEST_METHOD=GET;EMPTY=;", 2, ErrTooManyVars},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sb bytes.Buffer
			n, err := ForEachVar(tc.block, tc.max, func(k, v []byte) bool {
				fmt.Fprintf(&sb, "%s=%s;", k, v)
				return true
			})
			if sb.String() != tc.want || n != tc.pairs || !errors.Is(err, tc.err) {
				t.Fatalf("got %q, %d pairs, %v; want %q, %d, %v", sb.String(), n, err, tc.want, tc.pairs, tc.err)
			}
		})
	}
}

func TestMaxPairs(t *testing.T) {
	for _, tc := range []struct{ maxVars, want int }{{64, 128}, {16, 34}, {0, 2}, {1000, 128}} {
		if got := MaxPairs(tc.maxVars); got != tc.want {
			t.Errorf("MaxPairs(%d) = %d, want %d", tc.maxVars, got, tc.want)
		}
	}
}

func TestAppendPacket(t *testing.T) {
	p, err := AppendPacket(nil, 0, 0, "A", "b")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 6, 0, 0, 1, 0, 'A', 1, 0, 'b'}
	if !bytes.Equal(p, want) {
		t.Fatalf("AppendPacket = % x, want % x", p, want)
	}
	if _, err := AppendPacket(nil, 0, 0, "odd"); err == nil {
		t.Fatal("odd kv accepted")
	}
	big := string(make([]byte, 40000))
	if _, err := AppendPacket(nil, 0, 0, "a", big, "b", big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize packet: %v", err)
	}
}

func TestArray(t *testing.T) {
	b := AppendArrayItem(AppendArrayItem(nil, []byte("hello")), nil)
	var got []string
	if err := ForEachArrayItem(b, func(it []byte) bool { got = append(got, string(it)); return true }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[hello ]" {
		t.Fatalf("items %q", got)
	}
	if err := ForEachArrayItem([]byte{9, 0, 1}, func([]byte) bool { return true }); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated array: %v", err)
	}
}

// nginxPacket is a realistic request block as nginx's uwsgi_params sends it.
func nginxPacket() []byte {
	kv := []string{
		"QUERY_STRING", "a=1&b=2", "REQUEST_METHOD", "GET", "CONTENT_TYPE", "", "CONTENT_LENGTH", "",
		"REQUEST_URI", "/view/item?a=1&b=2", "PATH_INFO", "/view/item", "DOCUMENT_ROOT", "/usr/share/nginx/html",
		"SERVER_PROTOCOL", "HTTP/1.1", "REQUEST_SCHEME", "http", "REMOTE_ADDR", "127.0.0.1", "REMOTE_PORT", "53422",
		"SERVER_PORT", "8080", "SERVER_NAME", "localhost", "HTTP_HOST", "localhost", "HTTP_USER_AGENT", "curl/7.88.1",
		"HTTP_ACCEPT", "*/*", "HTTP_X_FORWARDED_FOR", "10.0.0.1", "HTTP_COOKIE", "session=abcdef0123456789",
		"HTTP_ACCEPT_ENCODING", "gzip, deflate", "HTTP_CONNECTION", "keep-alive",
	}
	p, _ := AppendPacket(nil, 0, 0, kv...)
	return p
}

func TestDecodeAllocatesNothing(t *testing.T) {
	p := nginxPacket()
	n := testing.AllocsPerRun(100, func() {
		h, _ := ParseHeader(p)
		_, _ = ForEachVar(p[HeaderSize:HeaderSize+int(h.DataSize)], 128, func(k, v []byte) bool { return true })
		_ = ForEachArrayItem(p[HeaderSize:], func([]byte) bool { return true })
	})
	if n != 0 {
		t.Fatalf("decoding allocates %v times per packet, want 0", n)
	}
}

func ExampleForEachVar() {
	pkt, _ := AppendPacket(nil, 0, 0, "REQUEST_METHOD", "GET", "REQUEST_URI", "/view/")
	h, _ := ParseHeader(pkt)
	_, _ = ForEachVar(pkt[HeaderSize:HeaderSize+int(h.DataSize)], MaxPairs(64), func(k, v []byte) bool {
		fmt.Printf("%s=%s\n", k, v)
		return true
	})
	// Output:
	// REQUEST_METHOD=GET
	// REQUEST_URI=/view/
}

func ExampleAppendPacket() {
	pkt, _ := AppendPacket(nil, uint8(ModPing), 0)
	fmt.Printf("% x\n", pkt)
	// Output: 64 00 00 00
}
