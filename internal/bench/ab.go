package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

const beforePrefix = "before: "

// withBefore adds, for every selected configuration that runs a uwsgo
// binary, a copy that runs the one in dir (built from an earlier commit)
// under the name "before: NAME", against the before copy of its baseline
// when that is uwsgo too, else against the same baseline. Both copies run
// in every round, so their ratios are paired; the report lists them.
func (b *bench) withBefore(selected []config, dir string) []config {
	old := *b
	old.binDir = dir
	names := map[string]bool{}
	for _, c := range selected {
		names[c.name] = true
	}
	copied := map[string]bool{}
	var extra []config
	for _, c := range configs(&old) {
		if names[c.name] && runsUwsgo(c, &old) {
			copied[c.name] = true
			extra = append(extra, c)
		}
	}
	for i := range extra {
		c := &extra[i]
		if copied[c.baseline] {
			c.baseline = beforePrefix + c.baseline
		}
		c.name = beforePrefix + c.name
	}
	b.report = reportBefore
	return append(slices.Clone(selected), extra...)
}

// runsUwsgo reports whether c's server is one of b's uwsgo binaries.
func runsUwsgo(c config, b *bench) bool {
	for _, a := range c.server(0).Args {
		if a == b.bin("hello") || a == b.bin("testapp") {
			return true
		}
	}
	return false
}

// reportBefore prints, per configuration, each round's ratio of the new
// binary's req/s to the old one's, and each round's ratio to the baseline
// for both, with the CPU time per request.
func reportBefore(cfgs []config, runs [][]*result) {
	index := map[string]int{}
	for i, c := range cfgs {
		index[c.name] = i
	}
	ratios := func(i, j int) []float64 {
		var rs []float64
		for round := range runs[i] {
			if x, y := runs[i][round], runs[j][round]; x != nil && y != nil && y.rps > 0 {
				rs = append(rs, x.rps/y.rps)
			}
		}
		return rs
	}
	cpus := func(i int) []float64 {
		var cs []float64
		for _, r := range runs[i] {
			if r != nil {
				cs = append(cs, r.cpuPerReq)
			}
		}
		return cs
	}
	list := func(vs []float64, f string) string {
		var s []string
		for _, v := range vs {
			s = append(s, fmt.Sprintf(f, v))
		}
		sorted := slices.Clone(vs)
		slices.Sort(sorted)
		med := 0.0
		if len(sorted) > 0 {
			med = median(sorted)
		}
		return fmt.Sprintf("["+f+"] %s", med, strings.Join(s, " "))
	}
	for i, c := range cfgs {
		if strings.HasPrefix(c.name, beforePrefix) {
			continue
		}
		j, ok := index[beforePrefix+c.name]
		if !ok {
			continue
		}
		fmt.Fprintf(os.Stderr, "%s\n  after/before req/s: %s\n  CPU µs/req after %s\n             before %s\n",
			c.name, list(ratios(i, j), "%.3f"), list(cpus(i), "%.1f"), list(cpus(j), "%.1f"))
		if bi, ok := index[c.baseline]; ok && bi != i {
			bj := index[cfgs[j].baseline]
			fmt.Fprintf(os.Stderr, "  against %s: after %s\n    before %s\n", c.baseline, list(ratios(i, bi), "%.3f"), list(ratios(j, bj), "%.3f"))
		}
	}
}
