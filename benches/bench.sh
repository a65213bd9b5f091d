#!/usr/bin/env bash
# End-to-end scan benchmark: in ONE run, times
#   parse   — `anonkos scan --parse-only` (the same CSV reader, no detection: the baseline)
#   sample  — `anonkos scan` (default sampling)
#   full    — `anonkos scan --full`
# on a generated CSV (default ~1 GB), alternating the commands REPS times, and prints the
# median time of each, the ratios to the baseline, MB/s, MB/s per core and peak RSS.
#
#   benches/bench.sh [ROWS] [REPS] [FORMAT]
#     ROWS default 4,000,000 (~1 GB of CSV), REPS default 3,
#     FORMAT csv (default), pgdump (plain pg_dump with COPY) or mysqldump (extended INSERTs).
#
# For dumps the baseline `--parse-only` indexes the dump and splits every table into rows
# (decoded into batches) without detection; `wc -l` is printed as the bare line-split floor.
#
# Machines here are shared and noisy: read the ratios, not the absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-4000000}
REPS=${2:-3}
FORMAT=${3:-csv}
DATA=bench-data
mkdir -p "$DATA"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/anonkos
case "$FORMAT" in
  csv) EXT=csv ;;
  pgdump) EXT=pg.sql ;;
  mysqldump) EXT=mysql.sql ;;
  *) echo "unknown format $FORMAT" >&2; exit 2 ;;
esac
CSV="$DATA/bench_${ROWS}.$EXT"
if [ ! -f "$CSV" ]; then
  echo "generating $CSV ($ROWS rows)…"
  "$BIN" sample --out "$DATA" --bench-rows "$ROWS" --bench-format "$FORMAT" --seed 7 >/dev/null
  mv "$DATA/bench.$EXT" "$CSV"
fi
BYTES=$(stat -c %s "$CSV")
CORES=$(nproc)
echo "file: $CSV, $((BYTES / 1000000)) MB, $ROWS rows; $CORES cores; $(uname -m); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

declare -A CMD=(
  [wc]="wc -l $CSV"
  [parse]="$BIN scan --parse-only --full $CSV"
  [sample]="$BIN scan --format json $CSV"
  [full]="$BIN scan --full --format json $CSV"
)
declare -A TIMES RSS
for ((r = 1; r <= REPS; r++)); do
  for k in wc parse sample full; do
    out=$( { /usr/bin/time -f '%e %M' ${CMD[$k]} >/dev/null; } 2>&1 | tail -n1 )
    TIMES[$k]+="${out%% *} "
    RSS[$k]+="${out##* } "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxof() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -n1; }
P=$(echo "${TIMES[parse]}" | median)
printf '\n%-8s %9s %12s %9s %12s %12s\n' command median_s ratio_parse MB/s MB/s/core peak_RSS_MB
for k in wc parse sample full; do
  t=$(echo "${TIMES[$k]}" | median)
  rss=$(echo "${RSS[$k]}" | maxof)
  awk -v k="$k" -v t="$t" -v p="$P" -v b="$BYTES" -v c="$CORES" -v rss="$rss" \
    'BEGIN { printf "%-8s %9.2f %12.3f %9.0f %12.0f %12.0f\n", k, t, t/p, b/1e6/t, b/1e6/t/c, rss/1024 }'
done
echo
echo "targets: sample/parse < 0.10; full/parse <= 3.0; full >= 200 MB/s per core; peak RSS < 500 MB"
