package master

import (
	"testing"
	"time"
)

func TestCronMatches(t *testing.T) {
	at := time.Date(2026, 11, 29, 14, 30, 0, 0, time.Local) // a Sunday
	for _, tc := range []struct {
		f    [5]int
		want bool
	}{
		{[5]int{-1, -1, -1, -1, -1}, true},
		{[5]int{30, 14, -1, -1, -1}, true},
		{[5]int{31, 14, -1, -1, -1}, false},
		{[5]int{-15, -1, -1, -1, -1}, true}, // every 15 minutes
		{[5]int{-7, -1, -1, -1, -1}, false}, // 30 % 7 != 0
		{[5]int{-1, -1, 1, -1, 7}, true},    // day 1 OR Sunday (7 = 0): Sunday matches
		{[5]int{-1, -1, 1, -1, 3}, false},   // neither
		{[5]int{-1, -1, -1, 12, -1}, false}, // month
	} {
		if got := cronMatches(tc.f, at); got != tc.want {
			t.Errorf("cronMatches(%v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}
