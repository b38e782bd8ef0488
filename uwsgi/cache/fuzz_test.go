package cache

import "testing"

func FuzzParseSpec(f *testing.F) {
	for _, s := range bitmapCaches {
		f.Add(s)
	}
	f.Add(`name=a\,b,items=3,store=/tmp/x,store_sync=2,math_initial=-5,hash=murmur2`)
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			return
		}
		if sp.Name == "" || sp.Items == 0 || sp.BlockSize == 0 || sp.KeySize > maxKeySize ||
			(!sp.Bitmap && sp.Blocks < sp.Items) || sp.MaxValue() == 0 {
			t.Fatalf("ParseSpec(%q) accepted an invalid spec %+v", s, sp)
		}
	})
}
