package worker

import "testing"

func TestHeaderNameAndDigits(t *testing.T) {
	if got := string(headerName(nil, []byte("X_FORWARDED_FOR"))); got != "X-Forwarded-For" {
		t.Errorf("headerName = %q", got)
	}
	for in, want := range map[string]int64{"123": 123, "12abc": 12, "": 0, "x1": 0} {
		if got := leadingDigits([]byte(in)); got != want {
			t.Errorf("leadingDigits(%q) = %d, want %d", in, got, want)
		}
	}
}
