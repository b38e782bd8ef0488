package master

import (
	"testing"
	"time"
)

// TestRespawnThrottle: more respawns than workers within a second delay the
// next one by two seconds, as uWSGI's fork-bomb guard.
func TestRespawnThrottle(t *testing.T) {
	var th respawnThrottle
	for i := range 3 {
		if d := th.next(3); d != 0 {
			t.Fatalf("respawn %d delayed by %v", i+1, d)
		}
	}
	if d := th.next(3); d != 2*time.Second {
		t.Fatalf("4th respawn within a second with 3 workers: delay %v, want 2s", d)
	}
}
