package main

import (
	"fmt"
	"strings"
	"time"
)

// render prints the results as a markdown table with ratios to each
// configuration's baseline, all from this one run.
func render(results []result, b *bench) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Run on %s, %s; wrk -t1 -c%d, %d rounds of %v per configuration (medians), "+
		"server (and nginx) on CPU 0 and wrk on CPU 1 unless the row says otherwise.\n\n",
		time.Now().UTC().Format("2006-01-02"), machine(), b.conns, b.rounds, b.dur)
	sb.WriteString("| configuration | req/s | p50 ms | p99 ms | server CPU µs/req | ratio (rounds' range) | against |\n")
	sb.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		ratio := "—"
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.2f× (%.2f–%.2f)", r.ratio, r.ratioLow, r.ratioHigh)
		}
		against := r.baseline
		if against == r.name {
			against = "(baseline)"
		}
		fmt.Fprintf(&sb, "| %s | %.0f | %.2f | %.2f | %.1f | %s | %s |\n", r.name, r.rps, r.p50, r.p99, r.cpuPerReq, ratio, against)
	}
	var shared []string
	for _, r := range results {
		if r.wrkCPUs != "" {
			shared = append(shared, fmt.Sprintf("%s: server %.2f, wrk %.2f", r.name, r.serverCPUs, r.clientCPUs))
		}
	}
	if len(shared) > 0 {
		fmt.Fprintf(&sb, "\nCPUs kept busy where wrk shares the server's CPUs (the rows' median rounds): %s.\n", strings.Join(shared, "; "))
	}
	return sb.String()
}
