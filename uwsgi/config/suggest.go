package config

import "fmt"

// suggestion returns " (did you mean 'x'?)" for the known option closest to
// name, when one is close enough to be a typo.
func suggestion(name string) string {
	limit := 2
	if len(name) <= 4 {
		limit = 1
	}
	best, bestD := "", limit+1
	for n := range byName {
		if d := len(n) - len(name); d > limit || -d > limit {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(name, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if bestD > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean '%s'?)", best)
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance: insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
