package bridge

import (
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
