package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// runRounds runs every configuration once per round, in alternating order,
// and sums each one up: the round with the median req/s gives its figures,
// and its ratio is the median of the rounds' ratios, each taken against the
// baseline's run of the same round. On a shared machine the load from
// neighbours drifts; rounds spread that drift over every configuration
// instead of landing on whichever ran at the bad moment.
func (b *bench) runRounds(cfgs []config, rounds int) []result {
	runs := make([][]*result, len(cfgs))
	for i := range runs {
		runs[i] = make([]*result, rounds)
	}
	order := runOrder(cfgs)
	for round := range rounds {
		for k := range order {
			i := order[k]
			if round%2 == 1 {
				i = order[len(order)-1-k]
			}
			r, err := b.run(cfgs[i])
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", cfgs[i].name, err)
				continue
			}
			runs[i][round] = &r
			fmt.Fprintf(os.Stderr, "round %d/%d  %-58s %10.0f req/s %6.1f µs/req\n", round+1, rounds, cfgs[i].name, r.rps, r.cpuPerReq)
		}
	}
	if b.report != nil {
		b.report(cfgs, runs)
	}
	index := map[string]int{}
	for i, c := range cfgs {
		index[c.name] = i
	}
	var out []result
	for i, c := range cfgs {
		r, ok := medianRun(runs[i])
		if !ok {
			continue
		}
		if j, ok := index[c.baseline]; ok && j != i {
			var ratios []float64
			for round, x := range runs[i] {
				if base := runs[j][round]; x != nil && base != nil && base.rps > 0 {
					ratios = append(ratios, x.rps/base.rps)
				}
			}
			if len(ratios) > 0 {
				slices.Sort(ratios)
				r.ratio, r.ratioLow, r.ratioHigh = median(ratios), ratios[0], ratios[len(ratios)-1]
			}
		}
		out = append(out, r)
	}
	return out
}

// runOrder is the order the configurations run in a round: the table's,
// with each "before:" copy right after its configuration, so that the
// two runs of a pair are next to each other in time (the machine's speed
// drifts over tens of seconds). configs lists each row right after its
// baseline where it can, for the same reason.
func runOrder(cfgs []config) []int {
	index := map[string]int{}
	for i, c := range cfgs {
		index[c.name] = i
	}
	var order []int
	for i, c := range cfgs {
		if strings.HasPrefix(c.name, beforePrefix) {
			continue
		}
		order = append(order, i)
		if j, ok := index[beforePrefix+c.name]; ok {
			order = append(order, j)
		}
	}
	return order
}

// medianRun is the run with the median req/s (the lower middle one for an
// even count).
func medianRun(runs []*result) (result, bool) {
	var done []*result
	for _, r := range runs {
		if r != nil {
			done = append(done, r)
		}
	}
	if len(done) == 0 {
		return result{}, false
	}
	slices.SortFunc(done, func(a, b *result) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	return *done[(len(done)-1)/2], true
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
