#!/usr/bin/env bash
# Measures `wfc run` end to end (process start, reading the Conductor JSON and the mock file,
# checking the mocks, running the engine on the virtual clock, recording every event in the
# JSONL history and the SQLite index) on generated workflows of mocked tasks:
#   - a dynamic fork of 10,000 tasks (FORK_JOIN_DYNAMIC + JOIN);
#   - 100 sequential forks of 100 tasks (FORK_JOIN of 100 branches + JOIN, 100 times);
#   - chains of 1,000 and 10,000 sequential tasks (the per-task overhead).
# Prints the median wall time and peak memory of each, and the time per task of the chains.
# Usage: benches/run.sh [RUNS]   (figures go to docs/benchmarks.md, "wfc run end to end")
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# WFC=path/to/wfc measures another build (e.g. a debug one, to try the script).
if [[ -z "${WFC:-}" ]]; then
  cargo build --quiet --release --bin wfc
fi
wfc="${WFC:-target/release/wfc}"
source benches/measure.sh

# `mock_file NAME REFERENCE...`: a taskRefToMockOutput answering each reference once.
mock_file() {
  local name="$1"; shift
  printf '%s\n' "$@" | awk 'BEGIN { printf "{" } { printf "%s\"%s\": [{\"output\": {\"n\": %d}}]", (NR > 1 ? ", " : ""), $0, NR } END { print "}" }' >"$work/$name.mocks.json"
}

# A dynamic fork of $1 tasks of the worker `work`.
dynamic_fork() {
  local count="$1" name="fork$1"
  {
    printf '{"name": "%s", "version": 1, "tasks": [' "$name"
    printf '{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN_DYNAMIC", '
    printf '"inputParameters": {"forkTaskName": "work", "forkTaskInputs": "${workflow.input.items}"}}, '
    printf '{"name": "join", "taskReferenceName": "join", "type": "JOIN"}]}\n'
  } >"$work/$name.json"
  seq 0 $((count - 1)) | awk 'BEGIN { printf "{\"items\": [" } { printf "%s{\"i\": %d}", (NR > 1 ? ", " : ""), $0 } END { print "]}" }' >"$work/$name.input.json"
  mock_file "$name" $(seq 0 $((count - 1)) | sed 's/^/_work_/')
}

# $1 sequential FORK_JOINs of $2 branches of one task each.
sequential_forks() {
  local forks="$1" width="$2" name="forks$1x$2"
  awk -v forks="$forks" -v width="$width" -v name="$name" 'BEGIN {
    printf "{\"name\": \"%s\", \"version\": 1, \"tasks\": [", name
    for (f = 0; f < forks; f++) {
      printf "%s{\"name\": \"f%d\", \"taskReferenceName\": \"f%d\", \"type\": \"FORK_JOIN\", \"forkTasks\": [", (f > 0 ? ", " : ""), f, f
      for (b = 0; b < width; b++) {
        printf "%s[{\"name\": \"work\", \"taskReferenceName\": \"t%d_%d\", \"type\": \"SIMPLE\"}]", (b > 0 ? ", " : ""), f, b
      }
      printf "]}, {\"name\": \"j%d\", \"taskReferenceName\": \"j%d\", \"type\": \"JOIN\", \"joinOn\": [", f, f
      for (b = 0; b < width; b++) printf "%s\"t%d_%d\"", (b > 0 ? ", " : ""), f, b
      printf "]}"
    }
    print "]}"
  }' >"$work/$name.json"
  echo '{}' >"$work/$name.input.json"
  mock_file "$name" $(for f in $(seq 0 $((forks - 1))); do seq 0 $((width - 1)) | sed "s/^/t${f}_/"; done)
}

# A chain of $1 sequential tasks.
chain() {
  local count="$1" name="chain$1"
  seq 0 $((count - 1)) | awk -v name="$name" 'BEGIN { printf "{\"name\": \"%s\", \"version\": 1, \"tasks\": [", name } { printf "%s{\"name\": \"work\", \"taskReferenceName\": \"c%d\", \"type\": \"SIMPLE\"}", (NR > 1 ? ", " : ""), $0 } END { print "]}" }' >"$work/$name.json"
  echo '{}' >"$work/$name.input.json"
  mock_file "$name" $(seq 0 $((count - 1)) | sed 's/^/c/')
}

dynamic_fork 10000
sequential_forks 100 100
chain 1000
chain 10000

echo "$(nproc) cores; median of $runs runs"
for name in fork10000 forks100x100 chain1000 chain10000; do
  # (through bash only to silence the summary line, which goes to stderr even with --quiet)
  measure "run $name" bash -c '"$0" "$@" 2>/dev/null' "$wfc" run "$work/$name.json" \
    --mocks "$work/$name.mocks.json" --input-file "$work/$name.input.json" --runs-dir "$work/runs" --quiet
done
# What a run of 10,000 tasks records.
for name in chain10000 fork10000; do
  "$wfc" run "$work/$name.json" --mocks "$work/$name.mocks.json" --input-file "$work/$name.input.json" \
    --runs-dir "$work/runs" --quiet 2>/dev/null
  lines=$(wc -l <"$(ls -t "$work"/runs/"$name"-*.jsonl | head -n 1)")
  bytes=$(wc -c <"$(ls -t "$work"/runs/"$name"-*.jsonl | head -n 1)")
  echo "history of $name: $lines events, $((bytes / 1024)) KiB"
done
