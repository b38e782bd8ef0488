#!/usr/bin/env bash
# Run every Fuzz* target of the module for a bounded budget each: a count
# ("20000x", default) or a duration ("10s"; see the Makefile about durations).
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-20000x}"
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($t)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg"
	done
done
