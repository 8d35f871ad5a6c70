#!/usr/bin/env bash
# Measures `wfc lsp` latency with ../shared/tools/lsp_bench.py (or $LSP_BENCH) on generated
# workflows of about 1,000 and 10,000 lines: initialize, open→diagnostics, change→diagnostics,
# completion after `${task.output.` near the end of the file (upstream tasks' typed fields), and
# the server's peak memory. Usage: benches/lsp.sh [RUNS] [ITERS]   (figures: docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
iters="${2:-10}"
bench="${LSP_BENCH:-../shared/tools/lsp_bench.py}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release --bin wfc --example generate_corpus -p wfc -p wfc-compiler
generate=target/release/examples/generate_corpus
"$generate" "$work/small" 1 170 2>/dev/null
"$generate" "$work/large" 1 1700 2>/dev/null

for size in small large; do
  file="$work/$size/generated_0.wf.yaml"
  # The last `.output.` of the file: complete the fields of an upstream task's output there.
  position=$(awk '/\$\{task_[0-9]+\.output\./ { line = NR - 1; text = $0 } END {
    print line ":" index(text, ".output.") + length(".output.") - 1 }' "$file")
  echo "== $(wc -l < "$file") lines, completion at $position"
  python3 "$bench" --runs "$runs" --iters "$iters" --complete-at="$position" "$file" \
    -- "$PWD/target/release/wfc" lsp
done
