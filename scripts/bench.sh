#!/usr/bin/env bash
# make bench: wrk side by side, one run, ratios; updates docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
go test -run '^$' -bench . -benchmem ./uwsgi/... | grep -E '^(Benchmark|ok|PASS)' || true
go run ./internal/bench -o docs/benchmarks.md "$@"
