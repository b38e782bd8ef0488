package bridge

import (
	"net/url"
	"testing"
	"unsafe"
)

// TestStateSizes: a slab of request states fills its allocation's size
// class (with the 8-byte header of an object with pointers over 512
// bytes): the inline bytes take the room the states leave, to less than a
// word each. A field added to reqState shows here first.
func TestStateSizes(t *testing.T) {
	const header = 8
	for _, c := range []struct {
		name           string
		size, n, class uintptr
	}{
		{"smallState", unsafe.Sizeof(smallState{}), smallSlab, 9472},
		{"largeState", unsafe.Sizeof(largeState{}), largeSlab, 13568},
	} {
		slack := int(c.class) - int(c.n*c.size+header)
		if slack < 0 || slack >= int(c.n)*8 {
			t.Errorf("a slab of %d %s (%d bytes each) leaves %d of %d bytes: resize its inline bytes", c.n, c.name, c.size, slack, c.class)
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

// TestHTTPVarsNotHTTPSReporter: ServeControlled skips the httpsReporter
// check for *HTTPVars, which must then not be one.
func TestHTTPVarsNotHTTPSReporter(t *testing.T) {
	var v VarsSource = &HTTPVars{}
	if _, ok := v.(httpsReporter); ok {
		t.Fatal("*HTTPVars is an httpsReporter: ServeControlled must ask it")
	}
}
