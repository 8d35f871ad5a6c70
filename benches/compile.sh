#!/usr/bin/env bash
# Measures `wfc compile` end to end (process start, reading, checking, planning, emitting,
# writing the JSON) on one generated workflow of 1,000, 10,000 and 100,000 tasks, in two shapes:
# `chain` (realistic: chains with switches, fan-outs, HTTP, scripts) and `dag` (a random sparse
# DAG that is not series-parallel). Prints the median wall time and peak memory of each, writing
# into a new directory every run (a first compile, as in CI), and for the larger sizes also
# compiling again into the previous output (which wfc then leaves alone: nothing changed).
# Usage: benches/compile.sh [RUNS]   (figures go to docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release --bin wfc --example generate_corpus -p wfc -p wfc-compiler
wfc=target/release/wfc
generate=target/release/examples/generate_corpus
source benches/measure.sh

echo "$(nproc) cores; median of $runs runs"
for tasks in 1000 10000 100000; do
  for shape in chain dag; do
    "$generate" "$work/$shape$tasks" 1 "$tasks" "$shape" 2>/dev/null
    bytes=$(cat "$work/$shape$tasks"/*.yaml | wc -c)
    measure "compile $shape $tasks tasks ($((bytes / 1024)) KiB)" \
      "$wfc" compile -q "$work/$shape$tasks" -o "{fresh}"
    if [[ "$tasks" != 1000 ]]; then
      "$wfc" compile -q "$work/$shape$tasks" -o "$work/out"
      measure "  again, outputs unchanged" \
        "$wfc" compile -q "$work/$shape$tasks" -o "$work/out"
    fi
  done
done
