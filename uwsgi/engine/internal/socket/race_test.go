//go:build race

package socket

// raceOn: allocation counts are not meaningful under the race detector
// (make test runs the Alloc tests without -race).
const raceOn = true
