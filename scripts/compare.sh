#!/usr/bin/env bash
# Balances the same generated pair with balancebot and with DuckDB, side by
# side, checks both find the same counts per location, and prints the
# median wall times and their ratio.
#
#   scripts/compare.sh [LINES] [RUNS]     (defaults: 1000000 lines a side, 9 runs)
#
# Needs Go and Node.js with npm; installs @duckdb/node-api into
# ${BALANCEBOT_BENCH_DIR:-$TMPDIR/balancebot-bench}/duckdb on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
runs=${2:-9}
root=${BALANCEBOT_BENCH_DIR:-${TMPDIR:-/tmp}/balancebot-bench}
dir=$root/$lines
mkdir -p "$root"

if [ ! -f "$dir/billing.csv" ]; then
  echo "generating $lines lines a side in $dir ..."
  go run ./cmd/genexports -lines "$lines" -out "$dir" >/dev/null
fi
if [ ! -d "$root/duckdb/node_modules/@duckdb/node-api" ]; then
  echo "installing @duckdb/node-api in $root/duckdb ..."
  mkdir -p "$root/duckdb"
  (cd "$root/duckdb" && npm init -y >/dev/null && npm install --no-audit --no-fund @duckdb/node-api >/dev/null)
fi
cp scripts/duckdb-balance.mjs "$root/duckdb/"
go build -o "$root/balancebot" ./cmd/balancebot

echo "files: $(du -h "$dir/emr.csv" | cut -f1) + $(du -h "$dir/billing.csv" | cut -f1), $(nproc) cores"
bb_times=() dk_times=()
for i in $(seq "$runs"); do
  # balancebot: the whole command, from start to the JSON written.
  start=$(date +%s.%N)
  "$root/balancebot" reconcile --format json "$dir/emr.csv" "$dir/billing.csv" >"$root/balancebot.json" || [ $? -eq 1 ]
  end=$(date +%s.%N)
  bb_times+=("$(echo "$end - $start" | bc)")
  # DuckDB: the query, from both CSVs to the counts (one run a process, so
  # neither side keeps anything warm but the page cache).
  (cd "$root/duckdb" && node duckdb-balance.mjs "$dir" 1 >"$root/duckdb.json")
  dk_times+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds_median"])' "$root/duckdb.json")")
done

python3 - "$root/balancebot.json" "$root/duckdb.json" "${bb_times[*]}" "${dk_times[*]}" <<'PY'
import json, statistics, sys
bb = json.load(open(sys.argv[1]))
dk = json.load(open(sys.argv[2]))
b = {l["location"]: (l["emr_visits"], l["billing_visits"], l["matched_visits"]) for l in bb["locations"]}
d = {l["location"]: (l["emr_visits"], l["billing_visits"], l["matched_visits"]) for l in dk["locations"]}
if b != d:
    diff = [k for k in set(b) | set(d) if b.get(k) != d.get(k)]
    print(f"COUNTS DIFFER at {len(diff)} locations, e.g. {diff[:3]}: balancebot {[b.get(k) for k in diff[:3]]}, duckdb {[d.get(k) for k in diff[:3]]}")
    sys.exit(1)
tot = [sum(v[i] for v in b.values()) for i in range(3)]
bt = [float(x) for x in sys.argv[3].split()]
dt = [float(x) for x in sys.argv[4].split()]
mb, md = statistics.median(bt), statistics.median(dt)
print(f"same counts at all {len(b)} locations: EMR {tot[0]}, billing {tot[1]}, matched {tot[2]}")
print(f"balancebot: median {mb:.2f} s  (runs {', '.join(f'{x:.2f}' for x in bt)})")
print(f"DuckDB    : median {md:.2f} s  (runs {', '.join(f'{x:.2f}' for x in dt)}; {dk['threads']} threads)")
# Each balancebot run is paired with the DuckDB run after it; the VM's
# speed drifts by tens of percent over minutes, and a pair shares the drift.
pairs = sorted(b / d for b, d in zip(bt, dt))
print(f"ratio balancebot/DuckDB: {mb/md:.2f} (of the medians); per run pair: median {statistics.median(pairs):.2f}, from {pairs[0]:.2f} to {pairs[-1]:.2f}")
PY
