#!/usr/bin/env bash
# CPU benchmarks: pytest-benchmark JSON plus the flat record list, both under benchmarks/results/.
# Usage: bash ci/bench.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=$(date -u +%Y-%m-%d)
host=cpu-$(getconf _NPROCESSORS_ONLN)core
mkdir -p benchmarks/results
export DEBRIS_BENCH_RECORDS="benchmarks/results/${host}-${stamp}.json"
python -m pytest benchmarks --benchmark-enable --benchmark-only \
    --benchmark-json="benchmarks/results/${host}-${stamp}-pytest-benchmark.json" "$@"
echo "records: ${DEBRIS_BENCH_RECORDS}"
