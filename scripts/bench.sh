#!/usr/bin/env bash
# Speed and memory of the balance at 10k, 100k and 1M CPT lines a side, on
# a generated pair (cmd/genexports' default layout, kept under
# ${BALANCEBOT_BENCH_DIR:-$TMPDIR/balancebot-bench} after the first run):
#
#   BenchmarkCSVRead            both files read with encoding/csv: the floor
#   BenchmarkReconcile          files on disk to the JSON result, in process
#   BenchmarkReconcileProcess   the same as its own process: wall time and
#                               peak resident memory (what /usr/bin/time
#                               calls maximum resident set size)
#   BenchmarkUploadToSummaryLarge  both files shared to the bot through the
#                               fake Slack, download included, to the summary
#   BenchmarkReadEMRSide        the EMR side read by balancebot's reader, by
#                               bare encoding/csv and by gocsv (100k and 1M)
#
# and prints the median of COUNT runs of each (default 5).
#
#   scripts/bench.sh [COUNT]
#
# Needs only Go. Takes about 3 minutes at COUNT=5 on 2 cores (the first run
# also generates the pairs, about 190 MB at 1M lines).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp) one=$(mktemp)
trap 'rm -f "$out" "$one"' EXIT

# bench PKG PATTERN [FLAGS]: runs the benchmarks, showing their lines, and
# stops the script with the test's output if one fails.
bench() {
  local pkg=$1 pattern=$2
  shift 2
  if ! go test -run '^$' -bench "$pattern" -benchtime 1x -count "$count" "$@" "$pkg" >"$one" 2>&1; then
    cat "$one" >&2
    echo "bench.sh: benchmarks in $pkg failed" >&2
    exit 1
  fi
  grep -E '^Benchmark' "$one"
  cat "$one" >>"$out"
}

echo "$(nproc) cores, $(go version | cut -d' ' -f3-), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
bench ./internal/cli 'BenchmarkCSVRead|BenchmarkReconcile$|BenchmarkReconcileProcess'
bench ./cmd/balancebot 'BenchmarkUploadToSummaryLarge'
bench ./internal/exports 'BenchmarkReadEMRSide' -benchmem

# Medians: one line per benchmark and size.
echo
printf '%-44s %10s %9s %10s\n' "benchmark (median of $count)" "seconds" "peak MB" "alloc MB"
awk '/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  for (i = 3; i < NF; i++) {
    if ($(i+1) == "ns/op") t[name] = t[name] " " $i / 1e9
    if ($(i+1) == "peak-MB") m[name] = m[name] " " $i
    if ($(i+1) == "B/op") a[name] = a[name] " " $i / 1048576
  }
  if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(s,    a, k, i, j, x) {
  k = split(s, a, " ")
  if (k == 0) return ""
  for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j+1] = a[j]; a[j+1] = x }
  return a[int((k + 1) / 2)]
}
END {
  for (i = 1; i <= n; i++) {
    p = median(m[order[i]]); q = median(a[order[i]])
    printf "%-44s %10.3f %9s %10s\n", order[i], median(t[order[i]]), (p == "" ? "-" : sprintf("%.0f", p)), (q == "" ? "-" : sprintf("%.0f", q))
  }
}' "$out"
