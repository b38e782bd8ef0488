package bridge

import (
	"net/url"
	"testing"
	"unsafe"
)

// TestStateSizes: a request's objects fill their allocation's size class
// (the sizes include the 8-byte header of an object with pointers over
// 512 bytes): inline bytes that don't fit make each request pay for the
// next size class, a field added to reqState shows here first.
func TestStateSizes(t *testing.T) {
	const header = 8
	for _, c := range []struct {
		name       string
		size, want uintptr
	}{
		{"smallState", unsafe.Sizeof(smallState{}), 640},
		{"largeState", unsafe.Sizeof(largeState{}), 896},
	} {
		if c.size+header != c.want {
			t.Errorf("%s is %d bytes (+%d), want %d: resize its inline bytes", c.name, c.size, header, c.want)
		}
	}
}

// TestPlainURI: the URIs parseURL reads itself give the URL net/url gives.
func TestPlainURI(t *testing.T) {
	for _, uri := range []string{"/", "/view/", "/a?b=1", "/a?", "/a??b", "/a?b?c", "/?", "/a/b/../c?x=y&z", "/a%20b", "/a#f", "*", "http://h/x?y"} {
		want, werr := url.ParseRequestURI(uri)
		ex := &exchange{rs: new(reqState)}
		err := ex.parseURL(uri)
		if (err != nil) != (werr != nil) {
			t.Errorf("%q: error %v, net/url %v", uri, err, werr)
			continue
		}
		if err == nil && ex.rs.url != *want {
			t.Errorf("%q: parsed as %#v, net/url %#v", uri, ex.rs.url, *want)
		}
	}
}
