//go:build race

package bridge

// raceEnabled: under the race detector sync.Pool drops items on purpose, so
// allocation counts are not meaningful (make test runs them without -race).
const raceEnabled = true
