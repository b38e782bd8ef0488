// Command bench is `make bench`: it builds uwsgo's hello app and the plain
// net/http and fasthttp baselines, runs each under the same wrk load (server
// pinned to CPU 0, wrk to CPU 1 where taskset exists), and prints one table
// of requests/s, latency percentiles, CPU time per request and ratios to
// plain net/http, from one run. With -o it also writes the table into a
// markdown file between the BENCH-TABLE markers. Each configuration runs
// once per round (-rounds) and the medians are reported (see runRounds).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	dur := flag.Duration("d", 3*time.Second, "wrk duration per configuration and round")
	rounds := flag.Int("rounds", 5, "rounds: each configuration runs once per round; the median counts")
	conns := flag.Int("c", 64, "wrk connections")
	out := flag.String("o", "", "markdown file to update (between <!-- BENCH-TABLE --> markers)")
	only := flag.String("only", "", "semicolon-separated configuration names to run (default all; \"mixed\" for fast requests beside a slow one, \"footprint\" for start-up time and memory)")
	before := flag.String("before", "", "directory of binaries built from an earlier commit (hello, testapp, nethttp, fasthttp): every selected configuration also runs with them, as \"before: NAME\", and the per-round ratios after/before are printed")
	flag.Parse()

	dir, err := os.MkdirTemp("", "uwsgo-bench-")
	check(err)
	defer os.RemoveAll(dir)
	b := &bench{dir: dir, dur: *dur, conns: *conns, rounds: max(*rounds, 1)}
	check(b.build())

	var selected []config
	for _, c := range configs(b) {
		if *only == "" || contains(strings.Split(*only, ";"), c.name) {
			selected = append(selected, c)
		}
	}
	if *before != "" {
		selected = b.withBefore(selected, *before)
	}
	table := render(b.runRounds(selected, b.rounds), b)
	if *only == "" || contains(strings.Split(*only, ";"), "mixed") {
		table += b.mixed()
	}
	if *only == "" || contains(strings.Split(*only, ";"), "footprint") {
		table += b.footprints()
	}
	fmt.Print(table)
	if *out != "" {
		check(writeBetweenMarkers(*out, table))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// machine describes where the figures come from.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(line[strings.Index(line, ":")+1:])
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func writeBetweenMarkers(path, table string) error {
	const begin, end = "<!-- BENCH-TABLE -->", "<!-- /BENCH-TABLE -->"
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s ... %s markers", path, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + table + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
