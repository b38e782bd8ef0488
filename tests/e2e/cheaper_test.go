package e2e

import (
	"strings"
	"testing"
	"time"
)

// waitWorkers waits until the master has want workers (at least want when
// atLeast), failing after d.
func waitWorkers(t *testing.T, p *proc, want int, atLeast bool, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		n := len(children(p.cmd.Process.Pid))
		if n == want || atLeast && n > want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers after %v, want %d:\n%s", n, d, want, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Busyness under real load: every worker busy most of each period, so
// workers are added up to --processes; idle, they go back to --cheaper one
// every multiplier × overload seconds; no request fails meanwhile.
func TestCheaperBusynessRisesAndFalls(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "3", "--cheaper", "1", "--cheaper-algo", "busyness",
		"--cheaper-overload", "1", "--cheaper-busyness-multiplier", "2", "--cheaper-busyness-max", "50",
		"--cheaper-busyness-min", "20", "--cheaper-busyness-backlog-alert", "1000", "--goroutines", "2", "--disable-logging")
	waitWorkers(t, p, 1, false, 15*time.Second)
	l := startLoad(base, "", "/sleep?ms=300", 3, time.Minute)
	waitWorkers(t, p, 3, false, 30*time.Second)
	summary := l.finish()
	if l.failed.Load() != 0 || l.ok.Load() == 0 {
		t.Fatalf("requests failed while workers were added: %s", summary)
	}
	waitWorkers(t, p, 1, false, 30*time.Second)
	log := p.log.String()
	for _, want := range []string{"average busyness is at", "will spawn 1 new worker(s)", "cheap one of"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// Busyness's emergency workers: a queue longer than the backlog alert
// starts workers at once, whatever the average says.
func TestCheaperBusynessBacklogAlert(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "3", "--cheaper", "1", "--cheaper-algo", "busyness",
		"--cheaper-overload", "30", "--cheaper-busyness-backlog-alert", "2", "--cheaper-busyness-backlog-step", "2",
		"--goroutines", "1", "--disable-logging")
	waitWorkers(t, p, 1, false, 15*time.Second)
	l := startLoad(base, "", "/sleep?ms=300", 4, time.Minute)
	waitWorkers(t, p, 3, false, 30*time.Second)
	if summary := l.finish(); l.failed.Load() != 0 {
		t.Fatalf("requests failed: %s", summary)
	}
	if !strings.Contains(p.log.String(), "requests in listen queue, spawning 2 emergency worker(s)") {
		t.Errorf("no emergency spawn logged:\n%s", p.log.String())
	}
}

// The backlog algorithm: requests queued past --cheaper-overload start
// workers; an empty queue stops them again, down to --cheaper.
func TestCheaperBacklogRisesAndFalls(t *testing.T) {
	p, base, _, _ := masterServer(t, nil, "--processes", "3", "--cheaper", "1", "--cheaper-algo", "backlog",
		"--cheaper-overload", "2", "--goroutines", "1", "--disable-logging")
	waitWorkers(t, p, 1, false, 15*time.Second)
	l := startLoad(base, "", "/sleep?ms=300", 4, time.Minute)
	waitWorkers(t, p, 2, true, 30*time.Second)
	if summary := l.finish(); l.failed.Load() != 0 || l.ok.Load() == 0 {
		t.Fatalf("requests failed while workers came and went: %s", summary)
	}
	waitWorkers(t, p, 1, false, 30*time.Second)
	if log := p.log.String(); !strings.Contains(log, "requests in the listen queue (> 2)") || !strings.Contains(log, "going cheap") {
		t.Errorf("log:\n%s", log)
	}
}

// An algorithm uwsgo lacks falls back to spare with a warning, as uWSGI does.
func TestCheaperUnknownAlgoFallsBack(t *testing.T) {
	p, _, _, _ := masterServer(t, nil, "--processes", "2", "--cheaper", "1", "--cheaper-algo", "backlog2")
	p.waitLog(`unable to find requested cheaper algorithm "backlog2"`, 10*time.Second)
}
