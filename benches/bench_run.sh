#!/usr/bin/env bash
# End-to-end `anonkos run` benchmark. In ONE run, alternating REPS times, times:
#   polars       — polars CSV → Parquet (the conversion a user would otherwise script)
#   passthrough  — `anonkos run benches/passthrough.toml` (read, plan, write Parquet, verify; no transforms)
#   research     — `anonkos run pipelines/research-release.toml` → Parquet
# on a generated CSV (default ~1 GB), and prints medians, ratios to polars, MB/s and peak RSS.
#
#   benches/bench_run.sh [ROWS] [REPS]     # ROWS default 7,000,000 (~1 GB), REPS default 3
#
# Needs python3 with polars (`pip install polars`); without it the polars row is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-7000000}
REPS=${2:-3}
DATA=bench-data
mkdir -p "$DATA"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/anonkos
CSV="$DATA/bench_${ROWS}.csv"
if [ ! -f "$CSV" ]; then
  "$BIN" sample --out "$DATA" --bench-rows "$ROWS" --bench-format csv --seed 7 >/dev/null
  mv "$DATA/bench.csv" "$CSV"
fi
BYTES=$(stat -c %s "$CSV")
OUT="$DATA/run-out"
echo "file: $CSV, $((BYTES / 1000000)) MB, $ROWS rows; $(nproc) cores"
HAVE_POLARS=0
python3 -c 'import polars' 2>/dev/null && HAVE_POLARS=1
declare -A CMD=(
  [polars]="python3 -c \"import polars as pl,sys; pl.scan_csv(sys.argv[1], infer_schema=False).sink_parquet(sys.argv[2])\" $CSV $DATA/polars.parquet"
  [passthrough]="$BIN run benches/passthrough.toml --input $CSV --out-dir $OUT/pass --quiet"
  [research]="$BIN run pipelines/research-release.toml --input $CSV --out-dir $OUT/research --quiet"
)
KEYS="passthrough research"
[ "$HAVE_POLARS" = 1 ] && KEYS="polars $KEYS"
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
BASE=$(echo "${TIMES[${KEYS%% *}]}" | median)
printf '\n%-12s %9s %10s %9s %12s\n' command median_s ratio MB/s peak_RSS_MB
for k in $KEYS; do
  t=$(echo "${TIMES[$k]}" | median)
  rss=$(echo "${RSS[$k]}" | maxof)
  awk -v k="$k" -v t="$t" -v p="$BASE" -v b="$BYTES" -v rss="$rss" \
    'BEGIN { printf "%-12s %9.2f %10.2f %9.0f %12.0f\n", k, t, t/p, b/1e6/t, rss/1024 }'
done
echo
echo "ratio is to the first row (polars when installed). Targets: research ≤ 1.5 × polars; peak RSS ≤ 1 GB."
