//go:build race

package worker

// raceEnabled: allocation counts are not meaningful under the race detector
// (make test runs the Alloc tests without -race).
const raceEnabled = true
