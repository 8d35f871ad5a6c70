#!/usr/bin/env bash
# Measures `wfc check` end to end (process start, reading, checking, printing) on generated
# projects: throughput on 200 workflows (~2 MB) and wall time on one ~10,000-line workflow, with
# peak memory (max RSS). Usage: benches/check.sh [RUNS]   (figures go to docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release --bin wfc --example generate_corpus -p wfc -p wfc-compiler
wfc=target/release/wfc
generate=target/release/examples/generate_corpus
"$generate" "$work/corpus" 200 60
"$generate" "$work/large" 1 1700

source benches/measure.sh

bytes=$(cat "$work"/corpus/*.yaml | wc -c)
lines=$(wc -l < "$work/large/generated_0.wf.yaml")
echo "corpus: $(ls "$work"/corpus | wc -l) files, $bytes bytes; large workflow: $lines lines; $(nproc) cores; median of $runs runs"
corpus=$(measure "check 200-file corpus" "$wfc" check -q "$work/corpus")
echo "$corpus"
milliseconds=$(echo "$corpus" | cut -f2 | cut -d' ' -f1)
awk -v b="$bytes" -v ms="$milliseconds" 'BEGIN { printf "throughput\t%.1f MB/s\n", b / 1e3 / ms }'
measure "check one 10k-line workflow" "$wfc" check -q "$work/large"
