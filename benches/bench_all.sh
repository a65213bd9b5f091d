#!/usr/bin/env bash
# The speed-and-scale benchmark: in ONE run, alternating the commands REPS times, times
#   polars       — polars CSV → Parquet of the same file (the external baseline; installed with
#                  pip if missing)
#   parse        — `anonkos scan --parse-only --full` (our reader alone, no detection)
#   scan         — `anonkos scan` (sampled)
#   scan_full    — `anonkos scan --full` (every cell)
#   scan_pq      — `anonkos scan --full` of the same rows as Parquet
#   passthrough  — `anonkos run benches/passthrough.toml` → Parquet (read, classify, write, verify)
#   research     — `anonkos run pipelines/research-release.toml` → Parquet
# and prints medians, the ratio of each to polars, MB/s, MB/s per core and peak RSS; then the
# two goals as ratios (scan_full / parse, research / polars) and the privacy bench (Adult and a
# generated 10 M-row table, each search against checking every node; SKIP_PRIVACY=1 skips it).
#
#   benches/bench_all.sh [ROWS] [REPS] [THREADS]
#     ROWS default 7,000,000 (~1 GB of CSV); REPS default 3; THREADS default all cores.
#
# Memory flatness: run it at 700000 rows (~100 MB) and at 70000000 rows (~10 GB) with REPS=1
# and compare the peak_RSS column (benches/RESULTS.md has both).
# Machines here are shared and noisy: read the ratios, not the absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-7000000}
REPS=${2:-3}
THREADS=${3:-$(nproc)}
DATA=${BENCH_DATA:-bench-data}
mkdir -p "$DATA"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/anonkos
python3 -c 'import polars' 2>/dev/null || python3 -m pip install --quiet polars
CSV="$DATA/bench_${ROWS}.csv"
PQ="$DATA/bench_${ROWS}.parquet"
if [ ! -f "$CSV" ]; then
  "$BIN" sample --out "$DATA" --bench-rows "$ROWS" --bench-format csv --seed 7 >/dev/null
  mv "$DATA/bench.csv" "$CSV"
fi
if [ ! -f "$PQ" ]; then
  "$BIN" sample --out "$DATA" --bench-rows "$ROWS" --bench-format parquet --seed 7 >/dev/null
  mv "$DATA/bench.parquet" "$PQ"
fi
BYTES=$(stat -c %s "$CSV")
OUT="$DATA/run-out"
T="--threads $THREADS"
echo "file: $CSV, $((BYTES / 1000000)) MB, $ROWS rows ($(stat -c %s "$PQ" | awk '{printf "%d", $1/1e6}') MB as Parquet); $THREADS of $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
declare -A CMD=(
  [polars]="env POLARS_MAX_THREADS=$THREADS python3 -c \"import polars as pl,sys; pl.scan_csv(sys.argv[1], infer_schema=False).sink_parquet(sys.argv[2])\" $CSV $DATA/polars.parquet"
  [parse]="$BIN $T scan --parse-only --full $CSV"
  [scan]="$BIN $T scan --format json $CSV"
  [scan_full]="$BIN $T scan --full --format json $CSV"
  [scan_pq]="$BIN $T scan --full --format json $PQ"
  [passthrough]="$BIN $T run benches/passthrough.toml --input $CSV --out-dir $OUT/pass --quiet"
  [research]="$BIN $T run pipelines/research-release.toml --input $CSV --out-dir $OUT/research --quiet"
)
KEYS="polars parse scan scan_full scan_pq passthrough research"
declare -A TIMES RSS
for ((r = 1; r <= REPS; r++)); do
  for k in $KEYS; do
    rm -rf "$OUT"
    # passthrough keeps personal data, so its verification fails (exit 1) by design.
    out=$( { eval /usr/bin/time -f "'%e %M'" ${CMD[$k]} >/dev/null || true; } 2>&1 | tail -n1 )
    TIMES[$k]+="${out%% *} "
    RSS[$k]+="${out##* } "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxof() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -n1; }
BASE=$(echo "${TIMES[polars]}" | median)
printf '\n%-12s %9s %14s %9s %12s %12s\n' command median_s ratio_polars MB/s MB/s/core peak_RSS_MB
for k in $KEYS; do
  t=$(echo "${TIMES[$k]}" | median)
  rss=$(echo "${RSS[$k]}" | maxof)
  awk -v k="$k" -v t="$t" -v p="$BASE" -v b="$BYTES" -v c="$THREADS" -v rss="$rss" \
    'BEGIN { printf "%-12s %9.2f %14.3f %9.0f %12.0f %12.0f\n", k, t, t/p, b/1e6/t, b/1e6/t/c, rss/1024 }'
done
PARSE=$(echo "${TIMES[parse]}" | median)
FULL=$(echo "${TIMES[scan_full]}" | median)
RESEARCH=$(echo "${TIMES[research]}" | median)
echo
awk -v f="$FULL" -v p="$PARSE" -v r="$RESEARCH" -v b="$BASE" 'BEGIN {
  printf "scan_full / parse    = %.3f  (target ≤ 1.25)\n", f / p
  printf "research  / polars   = %.3f  (target ≤ 1.00)\n", r / b }'
echo "other targets: scan ≤ 0.1 × polars; peak RSS ≤ 1 GB, flat across sizes"

# The privacy search in the same run: Adult (5-anonymity, 8 QIs) and a generated table of
# PRIVACY_BENCH_ROWS rows (default 10,000,000), each against checking every node.
if [ "${SKIP_PRIVACY:-0}" != 1 ]; then
  echo
  echo "privacy search (cargo bench --bench privacy):"
  cargo bench --quiet --bench privacy 2>/dev/null | grep -E '^(adult|generated)'
fi
